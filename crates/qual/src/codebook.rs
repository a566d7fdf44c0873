//! Codebooks: hierarchical codes with definitions, the ready-made frames (Normalisation Process
//! Theory in its classic and 2022 forms, realist context–mechanism–outcome, a blank
//! framework), and exchange as a REFI-QDA codebook (`.qdc`, `urn:QDA-XML:codebook:1.0`).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};
use serde::{Deserialize, Serialize};

pub const NAMESPACE: &str = "urn:QDA-XML:codebook:1.0";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Code {
    /// A GUID, as REFI-QDA requires.
    pub guid: String,
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// The parent code's GUID; none for a top-level code.
    #[serde(default)]
    pub parent: Option<String>,
    /// Whether text may be coded with it (a heading may not be).
    pub codable: bool,
    #[serde(default)]
    pub color: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Codebook {
    pub origin: String,
    /// Parents before children, siblings in order.
    pub codes: Vec<Code>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CodebookProblem {
    /// The code's name (or GUID), or the XML position.
    pub place: String,
    pub reason: String,
}

impl fmt::Display for CodebookProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.place, self.reason)
    }
}

fn problem(place: impl Into<String>, reason: impl Into<String>) -> CodebookProblem {
    CodebookProblem {
        place: place.into(),
        reason: reason.into(),
    }
}

/// A GUID as REFI-QDA writes them (optionally in braces).
pub fn valid_guid(s: &str) -> bool {
    let inner = s.strip_prefix('{').and_then(|x| x.strip_suffix('}')).unwrap_or(s);
    let parts: Vec<&str> = inner.split('-').collect();
    parts.len() == 5
        && parts
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(p, n)| p.len() == n && p.bytes().all(|b| b.is_ascii_hexdigit()))
}

fn valid_color(c: &str) -> bool {
    c.strip_prefix('#')
        .is_some_and(|h| (h.len() == 6 || h.len() == 3) && h.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// A GUID derived from a frame and a code's path, so a frame always has the same GUIDs.
fn frame_guid(frame: &str, path: &str) -> String {
    uuid::Uuid::new_v5(
        &uuid::Uuid::NAMESPACE_URL,
        format!("https://cocare/frames/{frame}/{path}").as_bytes(),
    )
    .to_string()
}

/// Builds a frame from (parent name or "", name, description, codable).
fn frame(key: &str, origin: &str, rows: &[(&str, &str, &str, bool)]) -> Codebook {
    let mut codes: Vec<Code> = Vec::new();
    for (parent, name, description, codable) in rows {
        let parent_guid = (!parent.is_empty()).then(|| frame_guid(key, parent));
        codes.push(Code {
            guid: frame_guid(key, name),
            name: (*name).to_string(),
            description: (*description).to_string(),
            parent: parent_guid,
            codable: *codable,
            color: None,
        });
    }
    Codebook {
        origin: origin.to_string(),
        codes,
    }
}

impl Codebook {
    pub fn blank() -> Codebook {
        Codebook {
            origin: "cocare: blank framework".into(),
            codes: Vec::new(),
        }
    }

    /// Normalisation Process Theory, the classic form: 4 constructs and 16 sub-constructs (as in
    /// the NoMAD instrument).
    pub fn npt_classic() -> Codebook {
        frame(
            "npt-classic",
            "cocare: Normalisation Process Theory (classic: 4 constructs, 16 sub-constructs)",
            &[
                (
                    "",
                    "Coherence",
                    "Sense-making: what the work is and why it matters",
                    false,
                ),
                (
                    "Coherence",
                    "Differentiation",
                    "How the practice differs from current ways of working",
                    true,
                ),
                (
                    "Coherence",
                    "Communal specification",
                    "Shared understanding of its aims and benefits",
                    true,
                ),
                (
                    "Coherence",
                    "Individual specification",
                    "What each person understands their tasks to be",
                    true,
                ),
                ("Coherence", "Internalisation", "The value people see in the work", true),
                (
                    "",
                    "Cognitive participation",
                    "Engagement: who takes part and how they are enrolled",
                    false,
                ),
                (
                    "Cognitive participation",
                    "Initiation",
                    "Key people drive the practice forward",
                    true,
                ),
                (
                    "Cognitive participation",
                    "Enrolment",
                    "People organise themselves to take part",
                    true,
                ),
                (
                    "Cognitive participation",
                    "Legitimation",
                    "People believe it is right for them to take part",
                    true,
                ),
                (
                    "Cognitive participation",
                    "Activation",
                    "People sustain their involvement",
                    true,
                ),
                (
                    "",
                    "Collective action",
                    "The work that makes the practice function",
                    false,
                ),
                (
                    "Collective action",
                    "Interactional workability",
                    "How the practice is done in day-to-day work",
                    true,
                ),
                (
                    "Collective action",
                    "Relational integration",
                    "Trust and confidence in the practice and in each other",
                    true,
                ),
                (
                    "Collective action",
                    "Skill set workability",
                    "How the work is divided among people and skills",
                    true,
                ),
                (
                    "Collective action",
                    "Contextual integration",
                    "Resources, policy and organisational support",
                    true,
                ),
                (
                    "",
                    "Reflexive monitoring",
                    "Appraisal: how people assess the practice",
                    false,
                ),
                (
                    "Reflexive monitoring",
                    "Systematisation",
                    "Gathering information about its effects",
                    true,
                ),
                (
                    "Reflexive monitoring",
                    "Communal appraisal",
                    "Judging its value together",
                    true,
                ),
                (
                    "Reflexive monitoring",
                    "Individual appraisal",
                    "Judging its effects on one's own work",
                    true,
                ),
                (
                    "Reflexive monitoring",
                    "Reconfiguration",
                    "Changing the practice in the light of appraisal",
                    true,
                ),
            ],
        )
    }

    /// Normalisation Process Theory as in the 2022 coding manual (May et al., Implementation
    /// Science 17:62): 12 constructs arranged as context, mechanism and outcome.
    pub fn npt_2022() -> Codebook {
        frame(
            "npt-2022",
            "cocare: Normalisation Process Theory coding manual (May et al. 2022: context, mechanism, outcome)",
            &[
                (
                    "",
                    "Contexts",
                    "Implementation contexts: the events in systems that shape the work",
                    false,
                ),
                (
                    "Contexts",
                    "Strategic intentions",
                    "How the intervention is planned and its aims set",
                    true,
                ),
                (
                    "Contexts",
                    "Adaptive execution",
                    "How people find and adapt ways to make it workable",
                    true,
                ),
                (
                    "Contexts",
                    "Negotiating capacity",
                    "How it is fitted to people's existing work",
                    true,
                ),
                (
                    "Contexts",
                    "Reframing organisational logics",
                    "How structures and norms shape it",
                    true,
                ),
                (
                    "",
                    "Mechanisms",
                    "Implementation mechanisms: what people do to make it work",
                    false,
                ),
                (
                    "Mechanisms",
                    "Coherence-building",
                    "Making sense of the intervention",
                    true,
                ),
                (
                    "Mechanisms",
                    "Cognitive participation",
                    "Engaging with it and enrolling others",
                    true,
                ),
                (
                    "Mechanisms",
                    "Collective action",
                    "Operationalising it in practice",
                    true,
                ),
                (
                    "Mechanisms",
                    "Reflexive monitoring",
                    "Appraising it and its effects",
                    true,
                ),
                (
                    "",
                    "Outcomes",
                    "Implementation outcomes: what changes as it is done",
                    false,
                ),
                (
                    "Outcomes",
                    "Intervention performance",
                    "What people do differently",
                    true,
                ),
                (
                    "Outcomes",
                    "Relational restructuring",
                    "How relationships and roles change",
                    true,
                ),
                (
                    "Outcomes",
                    "Normative restructuring",
                    "How norms, rules and resources change",
                    true,
                ),
                (
                    "Outcomes",
                    "Sustainment",
                    "How the practice becomes part of routine work",
                    true,
                ),
            ],
        )
    }

    /// Realist synthesis: context, mechanism, outcome.
    pub fn realist() -> Codebook {
        frame(
            "realist",
            "cocare: realist context-mechanism-outcome",
            &[
                (
                    "",
                    "Context",
                    "Features of the setting or people that trigger or block a mechanism",
                    true,
                ),
                (
                    "",
                    "Mechanism",
                    "How people respond to the resources an intervention offers",
                    true,
                ),
                ("", "Outcome", "What happens, intended or not", true),
            ],
        )
    }

    /// Every problem: GUIDs, colours, parents that are missing, cycles, names repeated among
    /// siblings.
    pub fn validate(&self) -> Result<(), Vec<CodebookProblem>> {
        let mut p = Vec::new();
        let mut guids = BTreeMap::new();
        for c in &self.codes {
            let place = if c.name.is_empty() {
                c.guid.clone()
            } else {
                c.name.clone()
            };
            if !valid_guid(&c.guid) {
                p.push(problem(&place, format!("'{}' is not a GUID", c.guid)));
            }
            if guids.insert(c.guid.to_lowercase(), c).is_some() {
                p.push(problem(&place, format!("the GUID {} is used twice", c.guid)));
            }
            if c.name.trim().is_empty() {
                p.push(problem(&place, "a code needs a name"));
            }
            if let Some(color) = &c.color
                && !valid_color(color)
            {
                p.push(problem(&place, format!("'{color}' is not a colour like #1d5fa8")));
            }
        }
        for c in &self.codes {
            if let Some(parent) = &c.parent
                && !guids.contains_key(&parent.to_lowercase())
            {
                p.push(problem(&c.name, format!("its parent {parent} is not in the codebook")));
            }
        }
        // Cycles: follow parents from each code; a code met twice closes a loop.
        let mut reported: BTreeSet<String> = BTreeSet::new();
        for c in &self.codes {
            let mut path = vec![c.guid.to_lowercase()];
            let mut at = c.parent.as_ref().map(|g| g.to_lowercase());
            while let Some(g) = at {
                if let Some(start) = path.iter().position(|x| *x == g) {
                    let cycle: Vec<String> = path
                        .get(start..)
                        .unwrap_or(&[])
                        .iter()
                        .filter_map(|x| guids.get(x).map(|c| c.name.clone()))
                        .collect();
                    let key = {
                        let mut k = cycle.clone();
                        k.sort();
                        k.join("|")
                    };
                    if reported.insert(key) {
                        p.push(problem(
                            &c.name,
                            format!("codes are their own ancestors: {}", cycle.join(" → ")),
                        ));
                    }
                    break;
                }
                path.push(g.clone());
                at = guids.get(&g).and_then(|c| c.parent.as_ref()).map(|x| x.to_lowercase());
            }
        }
        let mut siblings: BTreeMap<(Option<String>, String), usize> = BTreeMap::new();
        for c in &self.codes {
            let key = (c.parent.clone(), c.name.trim().to_lowercase());
            *siblings.entry(key).or_default() += 1;
        }
        for ((_, name), n) in siblings {
            if n > 1 {
                p.push(problem(&name, format!("{n} codes with this name share a parent")));
            }
        }
        if p.is_empty() { Ok(()) } else { Err(p) }
    }

    fn children(&self, parent: Option<&str>) -> Vec<&Code> {
        self.codes
            .iter()
            .filter(|c| c.parent.as_deref().map(str::to_lowercase) == parent.map(str::to_lowercase))
            .collect()
    }

    /// The codebook as a REFI-QDA `.qdc` document (valid against Codebook.xsd).
    pub fn to_qdc(&self) -> Result<String, Vec<CodebookProblem>> {
        self.validate()?;
        let mut w = Writer::new_with_indent(Vec::new(), b' ', 2);
        let io = |e: std::io::Error| vec![problem("XML", e.to_string())];
        w.write_event(Event::Decl(BytesDecl::new("1.0", Some("utf-8"), Some("yes"))))
            .map_err(io)?;
        let mut root = BytesStart::new("CodeBook");
        root.push_attribute(("xmlns", NAMESPACE));
        root.push_attribute(("origin", self.origin.as_str()));
        w.write_event(Event::Start(root)).map_err(io)?;
        w.write_event(Event::Start(BytesStart::new("Codes"))).map_err(io)?;
        if self.codes.is_empty() {
            // The schema needs at least one code: an empty codebook has a placeholder heading.
            let mut c = BytesStart::new("Code");
            c.push_attribute(("guid", frame_guid("blank", "empty").as_str()));
            c.push_attribute(("name", "(no codes yet)"));
            c.push_attribute(("isCodable", "false"));
            w.write_event(Event::Empty(c)).map_err(io)?;
        }
        self.write_codes(&mut w, None).map_err(io)?;
        w.write_event(Event::End(BytesEnd::new("Codes"))).map_err(io)?;
        w.write_event(Event::End(BytesEnd::new("CodeBook"))).map_err(io)?;
        String::from_utf8(w.into_inner()).map_err(|e| vec![problem("XML", e.to_string())])
    }

    fn write_codes(&self, w: &mut Writer<Vec<u8>>, parent: Option<&str>) -> std::io::Result<()> {
        for c in self.children(parent) {
            let mut start = BytesStart::new("Code");
            start.push_attribute(("guid", c.guid.as_str()));
            start.push_attribute(("name", c.name.as_str()));
            start.push_attribute(("isCodable", if c.codable { "true" } else { "false" }));
            if let Some(color) = &c.color {
                start.push_attribute(("color", color.as_str()));
            }
            w.write_event(Event::Start(start))?;
            if !c.description.is_empty() {
                w.write_event(Event::Start(BytesStart::new("Description")))?;
                w.write_event(Event::Text(BytesText::new(&c.description)))?;
                w.write_event(Event::End(BytesEnd::new("Description")))?;
            }
            self.write_codes(w, Some(&c.guid))?;
            w.write_event(Event::End(BytesEnd::new("Code")))?;
        }
        Ok(())
    }

    /// Reads a REFI-QDA codebook; malformed XML is named with its position, and the result is
    /// checked like any codebook.
    pub fn from_qdc(xml: &str) -> Result<Codebook, Vec<CodebookProblem>> {
        let mut reader = quick_xml::Reader::from_str(xml);
        reader.config_mut().trim_text(false);
        let mut book = Codebook {
            origin: String::new(),
            codes: Vec::new(),
        };
        let mut stack: Vec<usize> = Vec::new();
        let mut in_description = false;
        let mut seen_root = false;
        loop {
            let position = reader.buffer_position();
            let event = reader
                .read_event()
                .map_err(|e| vec![problem(format!("XML at byte {position}"), e.to_string())])?;
            match event {
                Event::Start(ref e) | Event::Empty(ref e) => {
                    let empty = matches!(event, Event::Empty(_));
                    let name = e.local_name();
                    let attr = |key: &str| -> Result<Option<String>, Vec<CodebookProblem>> {
                        for a in e.attributes() {
                            let a =
                                a.map_err(|err| vec![problem(format!("XML at byte {position}"), err.to_string())])?;
                            if a.key.local_name().as_ref() == key.as_bytes() {
                                let v = a
                                    .unescape_value()
                                    .map_err(|err| vec![problem(format!("XML at byte {position}"), err.to_string())])?;
                                return Ok(Some(v.into_owned()));
                            }
                        }
                        Ok(None)
                    };
                    match name.as_ref() {
                        b"CodeBook" => {
                            seen_root = true;
                            book.origin = attr("origin")?.unwrap_or_default();
                        }
                        b"Code" => {
                            let guid = attr("guid")?.unwrap_or_default();
                            let code = Code {
                                name: attr("name")?.unwrap_or_default(),
                                codable: attr("isCodable")?.is_some_and(|v| v == "true" || v == "1"),
                                color: attr("color")?,
                                parent: stack.last().and_then(|i| book.codes.get(*i)).map(|c| c.guid.clone()),
                                description: String::new(),
                                guid,
                            };
                            book.codes.push(code);
                            if !empty {
                                stack.push(book.codes.len() - 1);
                            }
                        }
                        b"Description" => in_description = !empty,
                        _ => {}
                    }
                }
                Event::Text(t) if in_description => {
                    let text = t
                        .decode()
                        .map_err(|err| vec![problem(format!("XML at byte {position}"), err.to_string())])?;
                    if let Some(c) = stack.last().and_then(|i| book.codes.get_mut(*i)) {
                        c.description.push_str(&text);
                    }
                }
                // Entities (`&amp;`, `&#233;`) arrive as their own events.
                Event::GeneralRef(r) if in_description => {
                    let bad = || vec![problem(format!("XML at byte {position}"), "an unknown entity")];
                    let resolved = match r.resolve_char_ref() {
                        Ok(Some(ch)) => ch.to_string(),
                        Ok(None) => {
                            let name = r.decode().map_err(|_| bad())?;
                            quick_xml::escape::resolve_predefined_entity(&name)
                                .ok_or_else(bad)?
                                .to_string()
                        }
                        Err(_) => return Err(bad()),
                    };
                    if let Some(c) = stack.last().and_then(|i| book.codes.get_mut(*i)) {
                        c.description.push_str(&resolved);
                    }
                }
                Event::End(e) => match e.local_name().as_ref() {
                    b"Code" => {
                        stack.pop();
                    }
                    b"Description" => in_description = false,
                    _ => {}
                },
                Event::Eof => break,
                _ => {}
            }
        }
        if !seen_root {
            return Err(vec![problem(
                "XML",
                "no CodeBook element: this is not a REFI-QDA codebook",
            )]);
        }
        book.validate()?;
        Ok(book)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_have_the_constructs_the_literature_names() {
        let classic = Codebook::npt_classic();
        assert_eq!(classic.codes.iter().filter(|c| c.parent.is_none()).count(), 4);
        assert_eq!(classic.codes.iter().filter(|c| c.parent.is_some()).count(), 16);
        let y2022 = Codebook::npt_2022();
        assert_eq!(y2022.codes.iter().filter(|c| c.parent.is_some()).count(), 12);
        assert_eq!(Codebook::realist().codes.len(), 3);
        for f in [classic, y2022, Codebook::realist(), Codebook::blank()] {
            f.validate().unwrap();
        }
        // The same frame always has the same GUIDs.
        assert_eq!(Codebook::npt_classic(), Codebook::npt_classic());
    }

    #[test]
    fn qdc_round_trip_loses_nothing() {
        let mut book = Codebook::npt_classic();
        book.codes[1].description = "Déjà vu & <tags> — 😊 שלום".into();
        book.codes[2].color = Some("#1d5fa8".into());
        let xml = book.to_qdc().unwrap();
        assert!(xml.contains("xmlns=\"urn:QDA-XML:codebook:1.0\""));
        let back = Codebook::from_qdc(&xml).unwrap();
        assert_eq!(back, book);
        assert_eq!(back.to_qdc().unwrap(), xml);
    }

    #[test]
    fn cycles_dangling_parents_and_bad_xml_are_named() {
        let mut book = Codebook::realist();
        let (a, b) = (book.codes[0].guid.clone(), book.codes[1].guid.clone());
        book.codes[0].parent = Some(b.clone());
        book.codes[1].parent = Some(a);
        book.codes[2].parent = Some("00000000-0000-0000-0000-000000000000".into());
        let p = book.validate().unwrap_err();
        let s: Vec<String> = p.iter().map(ToString::to_string).collect();
        assert!(
            s.iter()
                .any(|p| p.contains("their own ancestors") && p.contains("Context") && p.contains("Mechanism")),
            "{s:?}"
        );
        assert!(s.iter().any(|p| p.starts_with("Outcome: its parent")), "{s:?}");
        assert!(book.to_qdc().is_err());
        let err = Codebook::from_qdc("<CodeBook xmlns=\"urn:QDA-XML:codebook:1.0\"><Codes><Code guid=\"x\" name=\"a\" isCodable=\"true\"></Codes>")
            .unwrap_err();
        assert!(err[0].place.starts_with("XML at byte"), "{err:?}");
        let err = Codebook::from_qdc("<other/>").unwrap_err();
        assert!(err[0].reason.contains("not a REFI-QDA codebook"));
        let err = Codebook::from_qdc(
            "<CodeBook xmlns=\"urn:QDA-XML:codebook:1.0\"><Codes><Code guid=\"nope\" name=\"a\" isCodable=\"true\"/></Codes></CodeBook>",
        )
        .unwrap_err();
        assert!(err.iter().any(|p| p.reason.contains("not a GUID")));
    }

    proptest::proptest! {
        /// Any text at all: a codebook or a named problem, never a panic.
        #[test]
        fn any_xml_reads_or_is_refused(raw in "(<[A-Za-z/ =\"#0-9a-f-]{0,30}>|[^<]{0,10}){0,20}") {
            let _ = Codebook::from_qdc(&raw);
        }
    }
}
