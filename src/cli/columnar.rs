//! `handoff eval --leads FILE.parquet` and `--output FILE.parquet`: leads
//! and decisions as Parquet (`handoff::columnar`, behind the `parquet`
//! feature), evaluated in input order on one thread.

use std::path::Path;

use super::eval::EvalArgs;
use super::fail;
use handoff::batch::Summary;
use handoff::eval::Engine;

/// Where a batch goes.
pub(crate) enum Route {
    /// Evaluated from or to Parquet.
    #[cfg_attr(not(feature = "parquet"), allow(dead_code))]
    Done(Box<Summary>),
    /// Said why not; the exit code.
    Failed(i32),
    /// NDJSON or a JSON document in and NDJSON out: the usual batch.
    NotColumnar,
}

/// Whether `path` names a Parquet file: by its extension, or by the magic
/// number `PAR1` it starts with.
fn parquet_path(path: &Path) -> bool {
    if path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("parquet"))
    {
        return true;
    }
    if path.as_os_str() == "-" {
        return false;
    }
    let mut head = [0u8; 4];
    std::fs::File::open(path)
        .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut head))
        .is_ok()
        && &head == b"PAR1"
}

/// Whether the file starts like a JSON document rather than NDJSON (see
/// [`handoff::batch::sniff`]).
#[cfg(feature = "parquet")]
fn json_document(path: &Path) -> bool {
    use std::io::Read;
    let mut head = Vec::new();
    let read = std::fs::File::open(path).and_then(|f| f.take(64 * 1024).read_to_end(&mut head));
    read.is_ok() && handoff::batch::sniff(&head) == handoff::batch::Sniff::Document
}

#[cfg(not(feature = "parquet"))]
pub(crate) fn columnar(
    _: &Engine,
    a: &EvalArgs,
    path: &Path,
    _: jiff::Timestamp,
    _: bool,
) -> Route {
    if a.output.is_some() || parquet_path(path) {
        return Route::Failed(fail(
            "this build of handoff reads and writes no Parquet: build it with the cargo feature `parquet` (on by default)",
        ));
    }
    Route::NotColumnar
}

#[cfg(feature = "parquet")]
pub(crate) fn columnar(
    engine: &Engine,
    a: &EvalArgs,
    path: &Path,
    now: jiff::Timestamp,
    logged: bool,
) -> Route {
    use handoff::columnar::{run_file, Input, Output};
    let parquet_in = parquet_path(path);
    if !parquet_in && a.output.is_none() {
        return Route::NotColumnar;
    }
    if let Some(out) = &a.output {
        if !out
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("parquet"))
        {
            return Route::Failed(fail(format!(
                "`--output {}`: --output writes Parquet, so its name ends in `.parquet`; NDJSON decisions go to standard output",
                out.display()
            )));
        }
    }
    let refused = if logged {
        Some("--decision-log")
    } else if a.pretty {
        Some("--pretty")
    } else if a.leads_format == Some(super::eval::LeadsFormat::Json) {
        Some("--leads-format json")
    } else {
        None
    };
    if let Some(flag) = refused {
        return Route::Failed(fail(format!(
            "{flag} does not go with Parquet leads or `--output`: use NDJSON in and out for it"
        )));
    }
    let input = if parquet_in {
        match std::fs::File::open(path) {
            Ok(f) => Input::Parquet(f, path.to_path_buf()),
            Err(e) => {
                return Route::Failed(fail(format!("cannot read leads `{}`: {e}", path.display())))
            }
        }
    } else if path.as_os_str() == "-" {
        Input::Ndjson(Box::new(std::io::stdin()))
    } else {
        if json_document(path) {
            return Route::Failed(fail(format!(
                "`{}` is a JSON document (an array or a CRM export): `--output FILE.parquet` takes NDJSON or Parquet leads; convert it to NDJSON first (`jq -c '.[]'` or `jq -c '.records[]'`)",
                path.display()
            )));
        }
        match std::fs::File::open(path) {
            Ok(f) => Input::Ndjson(Box::new(f)),
            Err(e) => {
                return Route::Failed(fail(format!("cannot read leads `{}`: {e}", path.display())))
            }
        }
    };
    let stdout = std::io::stdout();
    let mut lock = stdout.lock();
    let output = match &a.output {
        Some(p) => match std::fs::File::create(p) {
            Ok(f) => Output::Parquet(f),
            Err(e) => return Route::Failed(fail(format!("cannot write `{}`: {e}", p.display()))),
        },
        None => Output::Ndjson(&mut lock),
    };
    match run_file(engine, input, output, now) {
        Ok(mut summary) => {
            // the reader of the decisions went away (`| head`): quietly
            if summary
                .io_error
                .as_deref()
                .is_some_and(|e| e.contains("Broken pipe"))
            {
                summary.output_closed = true;
            }
            Route::Done(Box::new(summary))
        }
        Err(e) => Route::Failed(fail(format!("`{}`: {e}", path.display()))),
    }
}
