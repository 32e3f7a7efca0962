//! The sweep results reader on arbitrary bytes: `run::records::parse` (the one JSON-lines reader, used by
//! `merge`, `analyze` and the journal of `sweep`) must return a clean error or the records, never panic,
//! and `study::analyze::read_records` (the same reader through a file) must read the same. What they accept
//! then goes through `merge` (the file given twice), which must not panic either and must account for every
//! task of its grid (on grids of up to a few thousand tasks, to keep the runs fast).

#![no_main]

use densemc::run::merge::{merge, MAX_GRID_TASKS};
use densemc::run::records;
use densemc::study::analyze::read_records;
use libfuzzer_sys::fuzz_target;
use std::path::PathBuf;
use std::sync::OnceLock;

fn path() -> &'static PathBuf {
    static P: OnceLock<PathBuf> = OnceLock::new();
    P.get_or_init(|| {
        std::env::temp_dir().join(format!("densemc-fuzz-results-{}.jsonl", std::process::id()))
    })
}

fuzz_target!(|data: &[u8]| {
    let p = path();
    let parsed = records::parse(data, p);
    if let Err(e) = &parsed {
        assert!(!e.to_string().contains('\n'));
    }
    // The torn tail is the bytes after the last newline, or nothing.
    if let Ok(r) = &parsed {
        let tail = data.len() - data.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
        assert!(r.torn_bytes == 0 || r.torn_bytes == tail);
        assert!(!(r.torn() && r.unterminated));
    }
    // analyze's reader on the same bytes, through a file.
    std::fs::write(p, data).expect("cannot write the fuzz input file");
    let analyzed = read_records(std::slice::from_ref(p));
    match (&parsed, &analyzed) {
        (Ok(r), Ok((recs, notes))) => {
            let mine: Vec<_> = r.lines.iter().map(|l| &l.record).collect();
            let theirs: Vec<_> = recs.iter().collect();
            assert_eq!(mine, theirs, "the readers disagree");
            assert_eq!(notes.len(), r.torn() as usize);
        }
        // analyze refuses a file without any result.
        (Ok(r), Err(_)) => assert!(r.lines.is_empty(), "analyze refuses: {analyzed:?}"),
        (Err(_), Ok(_)) => panic!("the reader refuses what analyze reads: {parsed:?}"),
        (Err(_), Err(_)) => {}
    }
    let Ok(r) = parsed else { return };
    if r.lines.is_empty() {
        return;
    }
    // Keep the runs fast: merge walks its whole grid (up to MAX_GRID_TASKS), so fuzz it on small ones.
    let small = r.lines.iter().all(|l| {
        let r = &l.record;
        match &r.shard {
            Some(t) => t.grid.ns.len() * t.grid.alphas.len() * t.grid.samples.min(1 << 20) <= 4096,
            None => r.alpha_index < 64 && r.sample < 64,
        }
    });
    if !small {
        return;
    }
    let n = r.lines.len();
    let parts = vec![(p.clone(), r.clone()), (PathBuf::from("copy.jsonl"), r)];
    match merge(&parts) {
        Ok(m) => {
            assert!(m.expected() <= MAX_GRID_TASKS);
            assert_eq!(m.lines.len() + m.missing, m.expected());
            assert_eq!(m.lines.len() + m.duplicates, 2 * n);
            let s = m.missing_summary();
            assert!(!s.contains('\n'));
        }
        Err(e) => assert!(!e.to_string().contains('\n')),
    }
});
