//! Cross-language fixture: `xlang write DIR N` writes `xlang-{i}` for i in 0..N from offset 0;
//! `xlang check DIR N` exits 0 iff the log holds exactly those N values. Every binding's test
//! suite writes and checks the same fixture, so each language proves it reads the others.

use std::process::ExitCode;

use segmentlog::{Log, Options};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let (Some(cmd), Some(dir), Some(n)) = (
        args.get(1),
        args.get(2),
        args.get(3).and_then(|n| n.parse::<u64>().ok()),
    ) else {
        eprintln!("usage: xlang write|check DIR N");
        return ExitCode::from(2);
    };
    match run(cmd, dir, n) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xlang {cmd}: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(cmd: &str, dir: &str, n: u64) -> Result<(), Box<dyn std::error::Error>> {
    match cmd {
        "write" => {
            let log = Log::open(dir, Options::default())?;
            for i in 0..n {
                let off = log.append(format!("xlang-{i}").as_bytes())?;
                if off != i {
                    return Err(format!("append {i} got offset {off}").into());
                }
            }
            log.close()?;
        }
        "check" => {
            let log = Log::open(
                dir,
                Options {
                    read_only: true,
                    ..Options::default()
                },
            )?;
            if (log.lowest_offset()?, log.next_offset()?) != (0, n) {
                return Err(format!(
                    "log holds {}..{}, expected 0..{n}",
                    log.lowest_offset()?,
                    log.next_offset()?
                )
                .into());
            }
            for (i, rec) in log.iter(0).enumerate() {
                let rec = rec?;
                let want = format!("xlang-{i}");
                if rec.offset != i as u64 || rec.value != want.as_bytes() {
                    return Err(format!(
                        "record {i}: got offset {} value {:?}",
                        rec.offset,
                        String::from_utf8_lossy(&rec.value)
                    )
                    .into());
                }
            }
            println!("xlang check: {n} records ok");
        }
        _ => return Err(format!("unknown command {cmd}").into()),
    }
    Ok(())
}
