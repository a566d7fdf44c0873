//! `cocare bench qual`: the qualitative workbench at several sizes.
//!
//! For each size, a synthetic project is built in memory as a REFI-QDA project: transcripts of
//! about 10,000 words in "Interviewer: …" / "P001: …" turns (generated from a fixed vocabulary
//! with a seeded generator), one participant (case) per transcript with a `role` attribute, two
//! coders, the classic NPT codebook, codings of participants' words with codable codes (never
//! overlapping for the same code and coder in a source), and a memo per transcript. It goes in
//! through the application's own QDPX import as a researcher would bring it (timed), and then
//! the use cases people wait for are timed, median of the runs: full-text search for a rare word
//! planted in a known number of transcripts and for a word in every transcript, the framework
//! matrix (participants × top-level codes) and the QDPX export.
//!
//! The targets: 500 transcripts (about 5M words) and 100k codings: search < 50 ms,
//! framework matrix < 500 ms, QDPX export < 10 s.

use std::future::Future;
use std::path::Path;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use cocare_app::qual_domain::codebook::Codebook;
use cocare_app::qual_domain::qdpx::{
    Case, Note, Project, Selection, SelectionCoding, TextSource, User, Variable, VariableType,
};
use cocare_app::qual_domain::text;
use cocare_app::{AccountForm, App, AppConfig, DatabaseUrl, OrganisationForm, Store};
use cocare_core::Actor;
use rand::rngs::ChaCha8Rng;
use rand::{RngExt, SeedableRng};

pub struct Options {
    pub sizes: Vec<usize>,
    pub codings: usize,
    pub repeats: usize,
    pub database_url: Option<String>,
}

/// The targets, for 500 transcripts (about 5M words) and 100k codings.
const TARGET_TRANSCRIPTS: usize = 500;
const SEARCH_TARGET_MS: f64 = 50.0;
const MATRIX_TARGET_MS: f64 = 500.0;
const EXPORT_TARGET_S: f64 = 10.0;

const WORDS_PER_TRANSCRIPT: usize = 10_000;
/// Planted in every tenth transcript (and in no word of the vocabulary).
const RARE_WORD: &str = "quillwort";
/// A word of the vocabulary that every transcript holds many times.
const COMMON_WORD: &str = "support";
/// The most sources a search answers with (the application's limit).
const SEARCH_LIMIT: usize = 20;
const PASSWORD: &str = "benchmark password";
const CREATED: &str = "2026-02-02T10:00:00Z";
const ROLES: [(&str, f64); 4] = [
    ("service user", 0.5),
    ("carer", 0.2),
    ("clinician", 0.2),
    ("key informant", 0.1),
];

/// Words people use in interviews about services, most common first (drawn with a skew, so a
/// few are everywhere and most are rarer, as in speech).
const VOCABULARY: &[&str] = &[
    "the",
    "and",
    "i",
    "to",
    "it",
    "was",
    "a",
    "you",
    "that",
    "of",
    "they",
    "in",
    "know",
    "just",
    "like",
    "me",
    "so",
    "but",
    "we",
    "my",
    "with",
    "there",
    "what",
    "when",
    "support",
    "really",
    "think",
    "had",
    "not",
    "about",
    "because",
    "them",
    "help",
    "were",
    "would",
    "time",
    "me",
    "team",
    "then",
    "people",
    "if",
    "all",
    "get",
    "more",
    "some",
    "one",
    "could",
    "service",
    "things",
    "going",
    "felt",
    "back",
    "care",
    "plan",
    "said",
    "work",
    "way",
    "quite",
    "see",
    "nurse",
    "doctor",
    "staff",
    "family",
    "home",
    "week",
    "day",
    "meeting",
    "appointment",
    "medication",
    "talk",
    "listen",
    "worker",
    "ward",
    "crisis",
    "group",
    "therapy",
    "change",
    "different",
    "better",
    "hard",
    "difficult",
    "good",
    "bit",
    "still",
    "again",
    "always",
    "never",
    "sometimes",
    "new",
    "system",
    "record",
    "review",
    "letter",
    "phone",
    "call",
    "wait",
    "waiting",
    "list",
    "month",
    "year",
    "first",
    "last",
    "long",
    "early",
    "late",
    "mother",
    "father",
    "son",
    "daughter",
    "partner",
    "friend",
    "carer",
    "coordinator",
    "psychiatrist",
    "psychologist",
    "pharmacist",
    "manager",
    "clinic",
    "hospital",
    "community",
    "housing",
    "money",
    "benefits",
    "job",
    "college",
    "school",
    "sleep",
    "eating",
    "drinking",
    "voices",
    "anxious",
    "low",
    "mood",
    "safe",
    "unsafe",
    "trust",
    "respect",
    "choice",
    "decision",
    "goals",
    "hope",
    "recovery",
    "wellbeing",
    "strengths",
    "warning",
    "signs",
    "relapse",
    "contact",
    "share",
    "information",
    "consent",
    "form",
    "computer",
    "screen",
    "training",
    "leaflet",
    "online",
    "app",
    "message",
    "text",
    "email",
    "visit",
    "discharge",
    "admission",
    "section",
    "police",
    "ambulance",
    "emergency",
    "routine",
    "paperwork",
    "targets",
    "audit",
    "caseload",
    "pressure",
    "budget",
    "funding",
    "commissioners",
    "evidence",
    "pilot",
    "rollout",
    "implementation",
    "practice",
    "guidance",
    "policy",
    "leadership",
    "champion",
    "colleagues",
    "handover",
    "supervision",
    "reflective",
    "feedback",
    "questionnaire",
    "scores",
    "outcomes",
    "progress",
    "together",
    "own",
    "words",
    "voice",
    "heard",
    "involved",
    "included",
    "ignored",
    "rushed",
    "confused",
    "worried",
    "relieved",
    "grateful",
    "frustrated",
    "angry",
    "tired",
    "lonely",
    "isolated",
    "connected",
    "understood",
    "judged",
    "labelled",
    "stigma",
    "culture",
    "language",
    "interpreter",
    "faith",
    "church",
    "mosque",
    "neighbour",
    "street",
    "bus",
    "train",
    "car",
    "walk",
    "park",
    "garden",
    "kitchen",
    "bedroom",
    "weekend",
    "morning",
    "evening",
    "night",
    "holiday",
    "birthday",
    "christmas",
    "anniversary",
    "memory",
    "childhood",
    "future",
    "plans",
    "steps",
    "small",
    "big",
    "little",
    "lot",
    "nothing",
    "everything",
    "something",
    "anything",
    "maybe",
    "probably",
    "definitely",
    "honestly",
    "actually",
    "basically",
];

const QUESTIONS: &[&str] = &[
    "Can you tell me about",
    "How did you feel about",
    "What happened with",
    "What made a difference to",
    "Could you say more about",
    "How do you think",
    "What would have helped with",
    "Who was involved in",
];

/// A GUID as cocare writes them (lowercase, no braces, version 4).
fn guid(rng: &mut ChaCha8Rng) -> String {
    let x: u128 = rng.random();
    format!(
        "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
        (x >> 96) as u32,
        (x >> 80) & 0xffff,
        (x >> 68) & 0xfff,
        ((x >> 52) & 0x3fff) | 0x8000,
        x & 0xffff_ffff_ffff
    )
}

fn word(rng: &mut ChaCha8Rng) -> &'static str {
    let u: f64 = rng.random();
    let index = (u * u * u * VOCABULARY.len() as f64) as usize;
    VOCABULARY.get(index).copied().unwrap_or("the")
}

/// Appends `count` words as a sentence ending in `stop`; returns the words written.
fn sentence(rng: &mut ChaCha8Rng, out: &mut String, count: usize, stop: char) -> usize {
    for i in 0..count {
        let w = word(rng);
        if i == 0 {
            let mut chars = w.chars();
            out.extend(chars.next().map(|c| c.to_ascii_uppercase()));
            out.push_str(chars.as_str());
        } else {
            out.push(' ');
            out.push_str(w);
        }
    }
    out.push(stop);
    count
}

/// One transcript as typed: lines of "Speaker: words". Returns the text and its word count.
fn transcript(rng: &mut ChaCha8Rng, participant: &str, rare: bool) -> (String, usize) {
    let mut out = String::with_capacity(WORDS_PER_TRANSCRIPT * 7);
    let mut words = 0;
    let plant_at = rng.random_range(0..10_usize);
    let mut turn = 0;
    while words < WORDS_PER_TRANSCRIPT {
        out.push_str("Interviewer: ");
        let question = QUESTIONS
            .get(rng.random_range(0..QUESTIONS.len()))
            .copied()
            .unwrap_or("Can you tell me about");
        out.push_str(question);
        words += question.split(' ').count();
        out.push(' ');
        let count = rng.random_range(3..12);
        words += sentence(rng, &mut out, count, '?');
        out.push('\n');
        out.push_str(participant);
        out.push_str(": ");
        if rare && turn == plant_at {
            out.push_str(RARE_WORD);
            out.push(' ');
            words += 1;
        }
        for s in 0..rng.random_range(2..9) {
            if s > 0 {
                out.push(' ');
            }
            let count = rng.random_range(6..21);
            words += sentence(rng, &mut out, count, '.');
        }
        out.push('\n');
        turn += 1;
    }
    (out, words)
}

/// Code-point spans of the words in `text` between `start` and `end` (ASCII text).
fn word_spans(text: &str, start: usize, end: usize) -> Vec<(usize, usize)> {
    let mut spans = Vec::new();
    let mut pos = start;
    for w in text.get(start..end).unwrap_or("").split(' ') {
        if !w.is_empty() {
            spans.push((pos, pos + w.len()));
        }
        pos += w.len() + 1;
    }
    spans
}

struct Synthetic {
    project: Project,
    words: usize,
    codings: usize,
    /// Transcripts holding [`RARE_WORD`].
    rare_sources: usize,
}

/// A project of `transcripts` transcripts and `codings` codings spread evenly over them.
fn synthetic(transcripts: usize, codings: usize, guids: &mut ChaCha8Rng) -> anyhow::Result<Synthetic> {
    let mut rng = ChaCha8Rng::seed_from_u64(2026);
    let codebook = Codebook::npt_classic();
    let codable: Vec<String> = codebook
        .codes
        .iter()
        .filter(|c| c.codable)
        .map(|c| c.guid.clone())
        .collect();
    anyhow::ensure!(!codable.is_empty(), "the NPT codebook has no codable codes");
    let users = vec![
        User {
            guid: guid(guids),
            name: "Coder A".into(),
        },
        User {
            guid: guid(guids),
            name: "Coder B".into(),
        },
    ];
    let role = Variable {
        guid: guid(guids),
        name: "role".into(),
        kind: VariableType::Text,
        description: "The participant's role".into(),
    };
    let (mut cases, mut sources, mut notes) = (Vec::new(), Vec::new(), Vec::new());
    let (mut words, mut coded, mut rare_sources) = (0, 0, 0);
    for i in 0..transcripts {
        let participant = format!("P{:03}", i + 1);
        let rare = i % 10 == 0;
        rare_sources += usize::from(rare);
        let (raw, n) = transcript(&mut rng, &participant, rare);
        words += n;
        let parsed = text::parse_transcript(&raw)
            .map_err(|problems| anyhow::anyhow!("a synthetic transcript does not read: {problems:?}"))?;
        // The participant's turns, as the spans of their words.
        let turns: Vec<Vec<(usize, usize)>> = parsed
            .turns
            .iter()
            .filter(|t| t.speaker.as_deref() == Some(participant.as_str()))
            .map(|t| word_spans(&parsed.text, t.start, t.end))
            .filter(|w| !w.is_empty())
            .collect();
        anyhow::ensure!(!turns.is_empty(), "a synthetic transcript has no participant turns");
        let here = codings / transcripts.max(1) + usize::from(i < codings % transcripts.max(1));
        let mut used: std::collections::HashMap<(usize, usize), Vec<(usize, usize)>> = Default::default();
        let mut selections = Vec::with_capacity(here);
        for _ in 0..here {
            let mut placed = None;
            for _attempt in 0..200 {
                let u: f64 = rng.random();
                let code = ((u * u * codable.len() as f64) as usize).min(codable.len() - 1);
                let coder = rng.random_range(0..users.len());
                let Some(turn) = turns.get(rng.random_range(0..turns.len())) else {
                    continue;
                };
                let length = rng.random_range(5..41_usize).min(turn.len());
                let first = rng.random_range(0..=turn.len() - length);
                let (Some((start, _)), Some((_, end))) = (turn.get(first), turn.get(first + length - 1)) else {
                    continue;
                };
                let (start, end) = (*start, *end);
                let spans = used.entry((code, coder)).or_default();
                if spans.iter().all(|(a, b)| end <= *a || *b <= start) {
                    spans.push((start, end));
                    placed = Some((code, coder, start, end));
                    break;
                }
            }
            let Some((code, coder, start, end)) = placed else {
                anyhow::bail!(
                    "{here} codings do not fit in a transcript of {WORDS_PER_TRANSCRIPT} words without overlapping: \
                     ask for fewer codings or more transcripts"
                );
            };
            let coder = users.get(coder).map(|u| u.guid.clone());
            selections.push(Selection {
                guid: guid(guids),
                start,
                end,
                creating_user: coder.clone(),
                created: Some(CREATED.into()),
                codings: vec![SelectionCoding {
                    guid: guid(guids),
                    code: codable.get(code).cloned().unwrap_or_default(),
                    creating_user: coder,
                    created: Some(CREATED.into()),
                }],
                notes: Vec::new(),
            });
        }
        coded += selections.len();
        selections.sort_by_key(|s| (s.start, s.end));
        let source_guid = guid(guids);
        let memo = Note {
            guid: guid(guids),
            name: format!("Memo on interview {}", i + 1),
            text: {
                let mut t = String::new();
                for s in 0..4 {
                    if s > 0 {
                        t.push(' ');
                    }
                    sentence(&mut rng, &mut t, 12, '.');
                }
                t
            },
            creating_user: users.first().map(|u| u.guid.clone()),
            created: Some(CREATED.into()),
        };
        let u: f64 = rng.random();
        let mut acc = 0.0;
        let role_value = ROLES
            .iter()
            .find(|(_, share)| {
                acc += share;
                u < acc
            })
            .map_or("service user", |(r, _)| r);
        cases.push(Case {
            guid: guid(guids),
            name: participant.clone(),
            description: String::new(),
            values: vec![(role.guid.clone(), role_value.to_string())],
            sources: vec![source_guid.clone()],
        });
        let sidecar = serde_json::json!({
            "kind": "transcript",
            "turns": parsed.turns,
            "created_by": "bench-qual",
        });
        sources.push(TextSource {
            guid: source_guid,
            name: format!("Interview {:03} ({participant})", i + 1),
            description: String::new(),
            text: parsed.text,
            creating_user: users.first().map(|u| u.guid.clone()),
            created: Some(CREATED.into()),
            selections,
            notes: vec![memo.guid.clone()],
            sidecar: Some(sidecar.to_string()),
        });
        notes.push(memo);
    }
    let origin = codebook.origin.clone();
    let project = Project {
        name: format!("Benchmark: {transcripts} synthetic transcripts"),
        origin,
        description: "Synthetic transcripts and codings for `cocare bench qual`.".into(),
        created: Some(CREATED.into()),
        creating_user: users.first().map(|u| u.guid.clone()),
        users,
        codebook,
        code_notes: Vec::new(),
        variables: vec![role],
        cases,
        sources,
        notes,
        project_notes: Vec::new(),
    };
    Ok(Synthetic {
        project,
        words,
        codings: coded,
        rare_sources,
    })
}

/// A researcher in a new organisation, to own the projects.
async fn researcher(app: &App, tag: &str) -> anyhow::Result<Actor> {
    let system = Actor::system("bench");
    let organisation = app
        .create_organisation(
            &system,
            &OrganisationForm {
                name: format!("Qualitative benchmark {tag}"),
            },
        )
        .await?;
    let username = format!("bench-qual-{tag}");
    let form = AccountForm {
        username: username.clone(),
        display_name: "Benchmark researcher".into(),
        password: PASSWORD.into(),
        role: "researcher".into(),
        organisation: organisation.to_string(),
        team: String::new(),
        person: String::new(),
    };
    let account = app.create_account(&system, &form).await?;
    app.actor(account)
        .await?
        .ok_or_else(|| anyhow::anyhow!("the benchmark researcher {username} cannot act"))
}

/// The median time of `repeats` runs, and the last run's answer.
async fn median<T, F, Fut>(repeats: usize, mut run: F) -> anyhow::Result<(Duration, T)>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = anyhow::Result<T>>,
{
    let mut times = Vec::with_capacity(repeats.max(1));
    let mut last = None;
    for _ in 0..repeats.max(1) {
        let started = Instant::now();
        let answer = run().await?;
        times.push(started.elapsed());
        last = Some(answer);
    }
    times.sort();
    let middle = times.get(times.len() / 2).copied().unwrap_or_default();
    let last = last.ok_or_else(|| anyhow::anyhow!("nothing was measured"))?;
    Ok((middle, last))
}

/// The SQLite file with its write-ahead log, in MiB.
fn sqlite_mib(path: &Path) -> f64 {
    let mut bytes = 0;
    for suffix in ["", "-wal", "-shm"] {
        let mut p = path.as_os_str().to_owned();
        p.push(suffix);
        bytes += std::fs::metadata(&p).map(|m| m.len()).unwrap_or(0);
    }
    bytes as f64 / (1024.0 * 1024.0)
}

struct Row {
    transcripts: usize,
    words: usize,
    codings: usize,
    import_s: f64,
    search_ms: f64,
    common_ms: f64,
    matrix_ms: f64,
    export_s: f64,
    export_mib: f64,
    db_mib: Option<f64>,
}

impl Row {
    fn print(&self) {
        println!(
            "{:>11} {:>10} {:>8} {:>9.2} {:>10.2} {:>10.2} {:>10.1} {:>9.2} {:>9.1} {:>8}",
            self.transcripts,
            self.words,
            self.codings,
            self.import_s,
            self.search_ms,
            self.common_ms,
            self.matrix_ms,
            self.export_s,
            self.export_mib,
            self.db_mib.map_or("–".to_string(), |m| format!("{m:.0}")),
        );
    }
}

pub async fn run(options: Options) -> anyhow::Result<ExitCode> {
    let Options {
        sizes,
        codings,
        repeats,
        database_url,
    } = options;
    anyhow::ensure!(
        !sizes.is_empty() && sizes.iter().all(|s| *s > 0),
        "give one or more sizes above 0"
    );
    let largest = sizes.iter().copied().max().unwrap_or(1);
    let temp = tempfile::tempdir()?;
    let shared = database_url.as_deref().map(DatabaseUrl::parse).transpose()?;
    let place = shared
        .as_ref()
        .map_or_else(|| "a fresh SQLite file per size".to_string(), |u| u.to_string());
    println!(
        "qual: synthetic projects of transcripts (about {WORDS_PER_TRANSCRIPT} words each), 2 coders, the NPT codebook,"
    );
    println!(
        "imported from QDPX through the application, on {place}; median of {} runs",
        repeats.max(1)
    );
    println!(
        "targets at {TARGET_TRANSCRIPTS} transcripts (about 5M words) and 100k codings: search < {SEARCH_TARGET_MS} ms, \
         framework matrix < {MATRIX_TARGET_MS} ms, QDPX export < {EXPORT_TARGET_S} s\n"
    );
    println!(
        "{:>11} {:>10} {:>8} {:>9} {:>10} {:>10} {:>10} {:>9} {:>9} {:>8}",
        "transcripts",
        "words",
        "codings",
        "import s",
        "search ms",
        "common ms",
        "matrix ms",
        "export s",
        "QDPX MiB",
        "db MiB"
    );
    let bar = super::spinner("qual");
    let mut rows = Vec::new();
    for &transcripts in &sizes {
        let wanted = (codings as f64 * transcripts as f64 / largest as f64).round() as usize;
        let label = format!("{transcripts} transcripts");
        let url = match &shared {
            Some(url) => url.clone(),
            None => DatabaseUrl::sqlite_file(&temp.path().join(format!("qual-{transcripts}.sqlite3"))),
        };
        bar.set_message(format!("{label}: opening the database"));
        let store = Store::open(&url).await?;
        let app = App::new(store, AppConfig::default());
        let tag = format!(
            "{transcripts}-{:08x}",
            getrandom::u32().map_err(|e| anyhow::anyhow!("no randomness: {e}"))?
        );
        let actor = researcher(&app, &tag).await?;

        bar.set_message(format!("{label}: generating {wanted} codings and the QDPX file"));
        let mut guids = ChaCha8Rng::seed_from_u64(getrandom::u64().map_err(|e| anyhow::anyhow!("no randomness: {e}"))?);
        let synthetic = synthetic(transcripts, wanted, &mut guids)?;
        let bytes = synthetic
            .project
            .to_qdpx()
            .map_err(|problems| anyhow::anyhow!("the synthetic project does not export: {problems:?}"))?;
        let expected_codings = synthetic.codings;
        drop(synthetic.project);

        bar.set_message(format!(
            "{label}: importing {:.0} MiB of QDPX",
            bytes.len() as f64 / (1024.0 * 1024.0)
        ));
        let started = Instant::now();
        let imported = app.qual_import_qdpx(&actor, None, None, &bytes).await?;
        let import_s = started.elapsed().as_secs_f64();
        drop(bytes);
        anyhow::ensure!(
            imported.sources == transcripts && imported.codings == expected_codings,
            "the import made {} sources and {} codings, not {transcripts} and {expected_codings}",
            imported.sources,
            imported.codings
        );
        let project = imported.project;
        let (app_ref, actor_ref, project_ref) = (&app, &actor, &project);

        bar.set_message(format!("{label}: searching"));
        let (search, results) = median(repeats, move || async move {
            Ok(app_ref.qual_search(actor_ref, project_ref, RARE_WORD).await?)
        })
        .await?;
        let expected = synthetic.rare_sources.min(SEARCH_LIMIT);
        anyhow::ensure!(
            results.len() == expected && results.iter().all(|r| !r.hits.is_empty()),
            "searching for '{RARE_WORD}' found {} sources (with hits in {}), not {expected}",
            results.len(),
            results.iter().filter(|r| !r.hits.is_empty()).count()
        );
        let (common, results) = median(repeats, move || async move {
            Ok(app_ref.qual_search(actor_ref, project_ref, COMMON_WORD).await?)
        })
        .await?;
        anyhow::ensure!(
            results.len() == transcripts.min(SEARCH_LIMIT),
            "searching for '{COMMON_WORD}' found {} sources, not {}",
            results.len(),
            transcripts.min(SEARCH_LIMIT)
        );

        bar.set_message(format!("{label}: framework matrix"));
        let (matrix_time, (_, matrix)) = median(repeats, move || async move {
            Ok(app_ref.qual_matrix(actor_ref, project_ref, &[]).await?)
        })
        .await?;
        let counted: i64 = matrix.cells.values().map(|(n, _)| n).sum();
        anyhow::ensure!(
            matrix.participants.len() == transcripts && usize::try_from(counted).ok() == Some(expected_codings),
            "the framework matrix has {} participants and {counted} codings, not {transcripts} and {expected_codings}",
            matrix.participants.len()
        );

        bar.set_message(format!("{label}: QDPX export"));
        let (export, exported) = median(repeats, move || async move {
            Ok(app_ref.qual_export_qdpx(actor_ref, project_ref).await?.1)
        })
        .await?;
        bar.set_message(format!("{label}: checking the export"));
        let back = Project::from_qdpx(&exported)
            .map_err(|problems| anyhow::anyhow!("the export does not read back: {problems:?}"))?;
        let back_codings: usize = back
            .sources
            .iter()
            .flat_map(|s| &s.selections)
            .map(|s| s.codings.len())
            .sum();
        anyhow::ensure!(
            back.sources.len() == transcripts && back_codings == expected_codings,
            "the export holds {} sources and {back_codings} codings, not {transcripts} and {expected_codings}",
            back.sources.len()
        );

        let row = Row {
            transcripts,
            words: synthetic.words,
            codings: expected_codings,
            import_s,
            search_ms: search.as_secs_f64() * 1000.0,
            common_ms: common.as_secs_f64() * 1000.0,
            matrix_ms: matrix_time.as_secs_f64() * 1000.0,
            export_s: export.as_secs_f64(),
            export_mib: exported.len() as f64 / (1024.0 * 1024.0),
            db_mib: url.sqlite_path().map(sqlite_mib),
        };
        bar.suspend(|| row.print());
        rows.push(row);
        app.store().close().await;
    }
    bar.finish_and_clear();

    println!(
        "\n(search: a word planted in every tenth transcript, and '{COMMON_WORD}', in every transcript; \
         at most {SEARCH_LIMIT} sources with hits)"
    );
    match rows.iter().find(|r| r.transcripts == TARGET_TRANSCRIPTS) {
        Some(r) => {
            let verdict = |met: bool| if met { "met" } else { "MISSED" };
            println!(
                "at {TARGET_TRANSCRIPTS} transcripts ({} words, {} codings{}):",
                r.words,
                r.codings,
                if r.codings < 100_000 {
                    ", fewer than the target's 100k"
                } else {
                    ""
                }
            );
            println!(
                "  full-text search  < {SEARCH_TARGET_MS} ms: {:.2} ms (rare word), {:.2} ms (common word): {}",
                r.search_ms,
                r.common_ms,
                verdict(r.search_ms.max(r.common_ms) < SEARCH_TARGET_MS)
            );
            println!(
                "  framework matrix  < {MATRIX_TARGET_MS} ms: {:.1} ms: {}",
                r.matrix_ms,
                verdict(r.matrix_ms < MATRIX_TARGET_MS)
            );
            println!(
                "  QDPX export       < {EXPORT_TARGET_S} s: {:.2} s: {}",
                r.export_s,
                verdict(r.export_s < EXPORT_TARGET_S)
            );
        }
        None => println!("(the targets are for {TARGET_TRANSCRIPTS} transcripts, which was not among the sizes)"),
    }
    Ok(ExitCode::SUCCESS)
}
