//! The HTML metrics report in a real browser: headless Chromium (Debian's,
//! installed by `.ci/install-chromium`) loads the page with the network
//! off, and the charts are drawn: the DOM holds their bars and the
//! screenshot has the bars' and target lines' colours over a real area.
//!
//! Ignored by a plain `cargo test` (a fresh machine has no browser);
//! `.ci/run` installs Chromium and runs it with `--ignored`. Screenshots
//! go to the temporary folder, never into git.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

fn chromium() -> PathBuf {
    let name = std::env::var_os("HANDOFF_CHROMIUM").unwrap_or_else(|| "chromium".into());
    PathBuf::from(name)
}

/// Runs headless Chromium on `page` with `args`; its standard output.
fn browse(page: &Path, args: &[&str]) -> String {
    let url = format!("file://{}", page.display());
    let out = Command::new("timeout")
        .arg("120")
        .arg(chromium())
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-extensions",
            // a self-contained page needs no network
            "--proxy-server=127.0.0.1:9",
            "--proxy-bypass-list=<-loopback>",
        ])
        .args(args)
        .arg(&url)
        .output()
        .expect("chromium runs: install it with .ci/install-chromium");
    assert!(
        out.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
#[ignore = "needs Chromium: run by .ci/run after .ci/install-chromium"]
fn the_report_draws_its_charts_in_a_browser() {
    let dir = std::env::temp_dir().join(format!("handoff-browser-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let page = dir.join("report.html");
    let (code, _, err) = common::run_cli(
        &[
            "metrics",
            "examples/inbound/policy.handoff",
            "--leads",
            "examples/inbound/leads.ndjson",
            "--now",
            "2025-06-01T12:00:00Z",
            "--by",
            "route",
            "--format",
            "html",
            "-o",
            page.to_str().unwrap(),
        ],
        b"",
    );
    assert_eq!(code, 0, "{err}");

    // the DOM as the browser built it: every chart with bars of real size
    let dom = browse(&page, &["--dump-dom"]);
    for id in ["dist-0", "dist-1", "breaches", "share-2", "verdicts"] {
        let start = dom
            .find(&format!("<svg id=\"{id}\""))
            .unwrap_or_else(|| panic!("chart {id} is in the DOM"));
        let chart = &dom[start..start + dom[start..].find("</svg>").unwrap()];
        let bars = chart.matches("class=\"bar\"").count();
        assert!(bars >= 3, "{id} has {bars} bars");
    }
    assert!(dom.contains("class=\"target\""), "the target lines");

    // the screenshot: the charts' colours cover a real area
    let shot = dir.join("report.png");
    browse(
        &page,
        &[
            &format!("--screenshot={}", shot.display()),
            "--window-size=1200,2600",
            "--hide-scrollbars",
        ],
    );
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(&shot).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    let channels = info.color_type.samples();
    let near = |p: &[u8], c: (u8, u8, u8)| {
        p[0].abs_diff(c.0) < 24 && p[1].abs_diff(c.1) < 24 && p[2].abs_diff(c.2) < 24
    };
    let (mut blue, mut amber, mut red, mut blank) = (0usize, 0usize, 0usize, 0usize);
    let pixels = buf[..info.buffer_size()].chunks(channels);
    let total = (info.width * info.height) as usize;
    for p in pixels {
        if near(p, (0x2f, 0x6f, 0xdf)) {
            blue += 1;
        } else if near(p, (0xe0, 0xa1, 0x00)) {
            amber += 1;
        } else if near(p, (0xb3, 0x26, 0x1e)) {
            red += 1;
        } else if near(p, (0xff, 0xff, 0xff)) || near(p, (0xf5, 0xf6, 0xf8)) {
            blank += 1;
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
    eprintln!("blue {blue}, amber {amber}, red {red}, blank {blank} of {total} px");
    // bars within target, bars past it, the target lines and breaches
    assert!(blue > 20_000, "blue bars: {blue} px");
    assert!(amber > 20_000, "amber bars: {amber} px");
    assert!(red > 500, "target lines and blocked: {red} px");
    assert!(
        blank < total * 9 / 10,
        "the page is not blank: {blank} of {total}"
    );
}
