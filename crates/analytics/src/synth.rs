//! Writes the synthetic extract of `cocare_records::synth` to a folder in the import layout.

use std::io::Write;
use std::path::Path;

use cocare_records::layout::FileKind;
use cocare_records::synth::Synth;
use rayon::prelude::*;

use crate::Error;

/// Writes `people` synthetic people to `dir` (created if missing), generating in parallel
/// chunks and writing in order; `progress` receives people written so far.
pub fn write_extract(dir: &Path, synth: &Synth, people: u64, progress: &(dyn Fn(u64) + Sync)) -> Result<u64, Error> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let mut files = Vec::new();
    for kind in FileKind::ALL {
        let path = dir.join(format!("{}.csv", kind.stem()));
        let file = std::fs::File::create(&path).map_err(|e| Error::io(&path, e))?;
        let mut writer = std::io::BufWriter::with_capacity(1 << 20, file);
        writeln!(writer, "{}", Synth::header(kind)).map_err(|e| Error::io(&path, e))?;
        files.push((path, writer));
    }
    const CHUNK: u64 = 2_000;
    let mut rows = 0u64;
    let mut start = 0u64;
    while start < people {
        // A batch of chunks generated in parallel, then written in order.
        let end = (start + CHUNK * 32).min(people);
        let chunks: Vec<[String; 9]> = (start..end)
            .step_by(CHUNK as usize)
            .collect::<Vec<_>>()
            .into_par_iter()
            .map(|from| {
                let mut out: [String; 9] = Default::default();
                for i in from..(from + CHUNK).min(end) {
                    synth.write_person(i, &mut out);
                }
                out
            })
            .collect();
        for chunk in &chunks {
            for ((path, writer), text) in files.iter_mut().zip(chunk.iter()) {
                rows += text.bytes().filter(|b| *b == b'\n').count() as u64;
                writer.write_all(text.as_bytes()).map_err(|e| Error::io(path, e))?;
            }
        }
        progress(end);
        start = end;
    }
    for (path, mut writer) in files {
        writer.flush().map_err(|e| Error::io(&path, e))?;
    }
    Ok(rows)
}
