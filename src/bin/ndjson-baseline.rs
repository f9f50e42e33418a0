//! The benchmark baseline: parse every NDJSON line into a full
//! `serde_json::Value` and do nothing else. `bench/run.sh` compares
//! `handoff eval` against it; the ratio is the figure that matters.

use std::io::{BufRead, BufReader};

fn main() {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: ndjson-baseline FILE.ndjson");
        std::process::exit(2);
    };
    let file = match std::fs::File::open(&path) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("error: cannot read `{path}`: {e}");
            std::process::exit(2);
        }
    };
    let mut reader = BufReader::with_capacity(1 << 20, file);
    let (mut ok, mut bad) = (0usize, 0usize);
    let mut line = Vec::new();
    loop {
        line.clear();
        match reader.read_until(b'\n', &mut line) {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) => {
                eprintln!("error: {e}");
                std::process::exit(2);
            }
        }
        match serde_json::from_slice::<serde_json::Value>(&line) {
            Ok(v) => {
                ok += 1;
                std::hint::black_box(v);
            }
            Err(_) => bad += 1,
        }
    }
    println!("{ok} parsed, {bad} invalid");
}
