//! Tests of the streaming document reader: every shape, broken structure,
//! limits, read errors, and agreement with the whole-text reader.

use super::object::page_note;
use super::*;
use std::io::{BufReader, Read};

/// Buffer sizes every document is read with: records, keys and
/// separators cut anywhere.
const CAPACITIES: [usize; 6] = [1, 2, 3, 7, 64, 8192];

/// An item as text: `number line:column text` for a record, `error
/// number line:column kind: message` for an error.
fn show(item: &Item, buf: &[u8]) -> String {
    match item {
        Item::Record {
            number,
            line,
            column,
        } => format!("{number} {line}:{column} {}", String::from_utf8_lossy(buf)),
        Item::Error {
            number,
            line,
            column,
            kind,
            message,
        } => {
            let n = number.map_or("-".to_string(), |n| n.to_string());
            format!("error {n} {line}:{column} {kind}: {message}")
        }
    }
}

/// Reads `input` whole with a buffer of `cap` bytes.
fn read_with(input: &[u8], cap: usize, limit: usize) -> (Vec<String>, Vec<String>) {
    let mut r = DocumentReader::with_limit(BufReader::with_capacity(cap, input), limit);
    let mut buf = Vec::new();
    let (mut items, mut notes) = (Vec::new(), Vec::new());
    while let Some(item) = r.next_item(&mut buf).unwrap() {
        if let Item::Error { number: None, .. } = item {
            assert!(buf.is_empty(), "{item:?}");
        }
        items.push(show(&item, &buf));
        notes.extend(r.notes());
        assert!(items.len() < 10_000, "the reader does not end");
    }
    notes.extend(r.notes());
    assert_eq!(
        r.next_item(&mut buf).unwrap(),
        None,
        "the end stays the end"
    );
    (items, notes)
}

/// Reads `input` with every buffer size (all must agree): its items
/// and notes.
fn read_limit(input: &str, limit: usize) -> (Vec<String>, Vec<String>) {
    let first = read_with(input.as_bytes(), CAPACITIES[0], limit);
    for cap in &CAPACITIES[1..] {
        assert_eq!(
            read_with(input.as_bytes(), *cap, limit),
            first,
            "buffer of {cap} bytes, {input:?}"
        );
    }
    first
}

fn read(input: &str) -> Vec<String> {
    read_limit(input, crate::record::MAX_RECORD_BYTES).0
}

fn notes(input: &str) -> Vec<String> {
    read_limit(input, crate::record::MAX_RECORD_BYTES).1
}

#[test]
fn every_shape_gives_its_records() {
    // an array
    assert_eq!(
        read("[\n  {\"id\": 1},\n  {\"id\":\n 2}\n]\n"),
        vec!["1 2:3 {\"id\": 1}", "2 3:3 {\"id\":\n 2}"]
    );
    // an export with its keys before the records, and after
    assert_eq!(
        read("{\"totalSize\": 2, \"done\": true, \"records\": [{\"a\": 1}, 7]}"),
        vec!["1 1:44 {\"a\": 1}", "2 1:54 7"]
    );
    assert_eq!(
        read("{\"results\": [{\"a\": 1}], \"paging\": {}, \"total\": 1}"),
        vec!["1 1:14 {\"a\": 1}"]
    );
    // the Salesforce CLI's answer around one
    assert_eq!(
        read("{\"status\": 0, \"result\": {\"done\": true, \"records\": [{\"a\": 1}]}, \"warnings\": []}"),
        vec!["1 1:52 {\"a\": 1}"]
    );
    // one lead, whole
    assert_eq!(
        read("{\"id\": 1, \"records\": [1]}"),
        vec!["1 1:1 {\"id\": 1, \"records\": [1]}"]
    );
    // values one after another, as `jq .` writes them, and without space
    assert_eq!(
        read("{\n  \"id\": 1\n}\n[{\"id\": 2}]{\"records\":[{\"id\":3}]}\"x\"\n"),
        vec![
            "1 1:1 {\n  \"id\": 1\n}",
            "2 4:2 {\"id\": 2}",
            "3 4:24 {\"id\":3}",
            "4 4:34 \"x\""
        ]
    );
    // scalars are records (error records later)
    assert_eq!(
        read("1 -2.5e3 true null \"leads\" [false]"),
        vec![
            "1 1:1 1",
            "2 1:3 -2.5e3",
            "3 1:10 true",
            "4 1:15 null",
            "5 1:20 \"leads\"",
            "6 1:29 false"
        ]
    );
    // a byte-order mark (a character of the line, as `document_records` counts)
    assert_eq!(read("\u{feff}[{\"a\": 1}]"), vec!["1 1:3 {\"a\": 1}"]);
    assert_eq!(read("\u{feff}{\"a\": 1}"), vec!["1 1:2 {\"a\": 1}"]);
    // nothing
    for empty in [
        "",
        "  \n\t\r\n",
        "\u{feff}",
        "[]",
        "[ \n ]",
        "{\"records\": []}",
    ] {
        assert!(read(empty).is_empty(), "{empty:?}");
    }
    // what is not an export is a lead: `records` not an array, a key
    // before the records that an export does not have, `result` not an
    // export, an object without records
    for one in [
        "{\"records\": 5}",
        "{\"records\": {\"a\": [1]}}",
        "{\"Id\": \"x\", \"records\": [{\"a\": 1}]}",
        "{\"status\": 0, \"result\": {\"Id\": 1, \"records\": [1]}}",
        "{\"status\": 0, \"result\": [1]}",
        "{\"status\": 0, \"result\": {\"done\": true}, \"warnings\": []}",
        "{\"done\": false}",
        "{}",
    ] {
        assert_eq!(read(one), vec![format!("1 1:1 {one}")], "{one}");
    }
}

#[test]
fn elements_end_where_their_structure_ends() {
    // brackets and quotes in strings, escapes, nesting, arrays as records
    let doc = r#"[{"a": "]}\"{[", "b": "x\\"}, [1, [2, {"c": []}]], "s\"t", {"d": {"e": {}}}]"#;
    assert_eq!(
        read(doc),
        vec![
            r#"1 1:2 {"a": "]}\"{[", "b": "x\\"}"#,
            r#"2 1:31 [1, [2, {"c": []}]]"#,
            r#"3 1:52 "s\"t""#,
            r#"4 1:60 {"d": {"e": {}}}"#
        ]
    );
    // a record is not checked: the evaluator says what is wrong with it
    assert_eq!(
        read("[{\"a\": nope}, tru, {\"b\" 1}]"),
        vec!["1 1:2 {\"a\": nope}", "2 1:15 tru", "3 1:20 {\"b\" 1}"]
    );
}

#[test]
fn nesting_is_counted_not_recursed() {
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let doc = format!("[{{\"a\": {deep}}}, {{\"b\": 1}}]");
    let mut r = DocumentReader::new(doc.as_bytes());
    let mut buf = Vec::new();
    let first = r.next_item(&mut buf).unwrap().unwrap();
    assert_eq!(first.record(&buf).unwrap().bytes.len(), deep.len() + 7);
    let second = r.next_item(&mut buf).unwrap().unwrap();
    assert_eq!(second.record(&buf).unwrap().bytes, b"{\"b\": 1}");
    assert_eq!(r.next_item(&mut buf).unwrap(), None);
    // and an unclosed one
    let open = format!("[{{\"a\": {}", "[{".repeat(50_000));
    let mut r = DocumentReader::new(open.as_bytes());
    let item = r.next_item(&mut buf).unwrap().unwrap();
    assert!(
        matches!(
            item,
            Item::Error {
                number: Some(1),
                kind: "invalid_json",
                ..
            }
        ),
        "{item:?}"
    );
}

#[test]
fn columns_count_characters() {
    // multi-byte characters before a record, on its line and lines before
    let doc = "[\"héllo wörld\", {\"名前\": \"日本\"},\n  \"ü\", {\"a\": 1}]\n\"😀\" {\"b\": 2}";
    assert_eq!(
        read(doc),
        vec![
            "1 1:2 \"héllo wörld\"",
            "2 1:17 {\"名前\": \"日本\"}",
            "3 2:3 \"ü\"",
            "4 2:8 {\"a\": 1}",
            "5 3:1 \"😀\"",
            "6 3:5 {\"b\": 2}"
        ]
    );
    // a carriage return is a character of its line, as in `document_records`
    assert_eq!(
        read("[\r\n  {\"a\": 1},\r\n  {\"b\": 2}\r\n]\r\n"),
        vec!["1 2:3 {\"a\": 1}", "2 3:3 {\"b\": 2}"]
    );
}

#[test]
fn a_record_over_the_limit_is_skipped_and_the_rest_read() {
    let big = format!("{{\"big\": \"{}\"}}", "x".repeat(200));
    let exact = "{\"a\": \"12345678\"}"; // 17 bytes
    assert_eq!(exact.len(), 17);
    let doc = format!("[{{\"a\": 1}}, {big},\n {exact}, {{\"b\": 2}}]\n{big}\n{{\"c\": 3}}");
    let (items, notes) = read_limit(&doc, 17);
    assert_eq!(
        items,
        vec![
            "1 1:2 {\"a\": 1}".to_string(),
            "error 2 1:12 too_large: the record is longer than the limit of 17 bytes".to_string(),
            format!("3 2:2 {exact}"),
            "4 2:21 {\"b\": 2}".to_string(),
            "error 5 3:1 too_large: the record is longer than the limit of 17 bytes".to_string(),
            "6 4:1 {\"c\": 3}".to_string(),
        ]
    );
    assert!(notes.is_empty(), "{notes:?}");
    // the record is not kept whole: its start is, for its lead id
    let huge = format!(
        "[{{\"id\": \"L1\", \"x\": \"{}\"}}, 1]",
        "y".repeat(1 << 20)
    );
    let mut r = DocumentReader::with_limit(BufReader::with_capacity(4096, huge.as_bytes()), 1000);
    let mut buf = Vec::new();
    let item = r.next_item(&mut buf).unwrap().unwrap();
    assert_eq!(
        item,
        Item::Error {
            number: Some(1),
            line: 1,
            column: 2,
            kind: "too_large",
            message: "the record is longer than the limit of 1000 bytes".into()
        }
    );
    assert!(
        buf.starts_with(b"{\"id\": \"L1\"") && buf.len() <= 1000,
        "{}",
        buf.len()
    );
    assert!(buf.capacity() <= 4 * 1000, "{}", buf.capacity());
    assert!(r
        .next_item(&mut buf)
        .unwrap()
        .unwrap()
        .record(&buf)
        .is_some());
    // an export is still one when what comes before its records is over
    // the limit (that text is only kept while the object may be a lead)
    let header = format!(
        "{{\"errors\": [\"{}\"], \"records\": [{{\"a\": 1}}]}}",
        "e".repeat(100)
    );
    assert_eq!(read_limit(&header, 17).0, vec!["1 1:130 {\"a\": 1}"]);
}

#[test]
fn broken_structure_loses_no_later_record() {
    let doc = "[{\"a\": 1} {\"b\": 2},\n {\"c\": 3} x y {\"d\": 4},, {\"e\": 5} [9, {\"z\": 0}], {\"f\": 6}}, {\"g\": 7},]";
    assert_eq!(
        read(doc),
        vec![
            "1 1:2 {\"a\": 1}",
            "error - 1:11 invalid_json: expected `,` or `]` after record 1 at line 1, column 11, found `{`",
            "2 1:11 {\"b\": 2}",
            "3 2:2 {\"c\": 3}",
            "error - 2:11 invalid_json: expected `,` or `]` after record 3 at line 2, column 11, found `x`",
            "4 2:15 {\"d\": 4}",
            "error - 2:24 invalid_json: expected a record after `,` at line 2, column 24, found `,`",
            "5 2:26 {\"e\": 5}",
            "error - 2:35 invalid_json: expected `,` or `]` after record 5 at line 2, column 35, found `[`",
            "6 2:50 {\"f\": 6}",
            "error - 2:58 invalid_json: expected `,` or `]` after record 6 at line 2, column 58, found `}`",
            "7 2:61 {\"g\": 7}",
            "error - 2:70 invalid_json: expected a record after `,` at line 2, column 70, found `]`",
        ]
    );
    // a stray `]`, text after the document, commas between top-level
    // objects, a stray `:` in an array
    assert_eq!(
        read("[{\"a\": 1}]]\n{\"b\": 2},\n{\"c\": 3}\nEND [: {\"d\": 4}]"),
        vec![
            "1 1:2 {\"a\": 1}",
            "error - 1:11 invalid_json: expected another JSON value or the end of the document at line 1, column 11, found `]`",
            "2 2:1 {\"b\": 2}",
            "error - 2:9 invalid_json: expected another JSON value or the end of the document at line 2, column 9, found `,`",
            "3 3:1 {\"c\": 3}",
            "error - 4:1 invalid_json: expected another JSON value or the end of the document at line 4, column 1, found `E`",
            "error - 4:6 invalid_json: expected a record or `]` at line 4, column 6, found `:`",
            "4 4:8 {\"d\": 4}",
        ]
    );
    assert_eq!(
        read("leads: [1]"),
        vec![
            "error - 1:1 invalid_json: expected a JSON value (an array of leads, an export or a lead) at line 1, column 1, found `l`",
            "1 1:9 1",
        ]
    );
    // in an export: the records array resyncs like any; a fault after it
    // skips the rest of the export
    assert_eq!(
        read("{\"records\": [{\"a\": 1} {\"b\": 2}] \"done\": false}\n{\"c\": 3}"),
        vec![
            "1 1:14 {\"a\": 1}",
            "error - 1:23 invalid_json: expected `,` or `]` after record 1 at line 1, column 23, found `{`",
            "2 1:23 {\"b\": 2}",
            "error - 1:33 invalid_json: expected `,` or `}` at line 1, column 33, found `\"` in the export that starts at line 1, column 1",
            "3 2:1 {\"c\": 3}",
        ]
    );
    // a broken start of a byte-order mark
    let mut bad_bom = b"\xEF\xBB[1]".to_vec();
    let (items, _) = read_with(&bad_bom, 1, 100);
    assert_eq!(
        items,
        vec![
            "error - 1:1 invalid_json: expected a JSON value at line 1, column 1: the input starts with part of a byte-order mark",
            "1 1:3 1"
        ]
    );
    bad_bom.truncate(1);
    assert_eq!(read_with(&bad_bom, 1, 100).0.len(), 1);
}

#[test]
fn the_end_inside_a_record_or_an_array_is_said() {
    assert_eq!(
        read("[{\"a\": 1},\n {\"b\": [2, 3"),
        vec![
            "1 1:2 {\"a\": 1}",
            "error 2 2:2 invalid_json: the document ends inside record 2 (it starts at line 2, column 2)"
        ]
    );
    assert_eq!(
        read("[{\"a\": \"1}]"),
        vec!["error 1 1:2 invalid_json: the document ends inside record 1 (it starts at line 1, column 2)"]
    );
    assert_eq!(
        read("{\"id\": 1,\n"),
        vec!["error 1 1:1 invalid_json: the document ends inside record 1 (it starts at line 1, column 1)"]
    );
    assert_eq!(
        read("[{\"a\": 1}, 23"),
        vec![
            "1 1:2 {\"a\": 1}",
            "2 1:12 23",
            "error - 1:14 invalid_json: the document ends at line 1, column 14 inside the array that starts at line 1, column 1: expected `,` or `]`"
        ]
    );
    assert_eq!(
        read("[{\"a\": 1},\n"),
        vec![
            "1 1:2 {\"a\": 1}",
            "error - 2:1 invalid_json: the document ends at line 2, column 1 inside the array that starts at line 1, column 1: expected a record"
        ]
    );
    assert_eq!(
        read("[{\"a\": 1} x"),
        vec![
            "1 1:2 {\"a\": 1}",
            "error - 1:11 invalid_json: expected `,` or `]` after record 1 at line 1, column 11, found `x`",
            "error - 1:12 invalid_json: the document ends at line 1, column 12 inside the array that starts at line 1, column 1: expected `]`"
        ]
    );
    let (items, notes) = read_limit(
        "{\"done\": false, \"records\": [{\"a\": 1}], \"size\": 1",
        100,
    );
    assert_eq!(
        items,
        vec![
            "1 1:29 {\"a\": 1}",
            "error - 1:49 invalid_json: the document ends at line 1, column 49 inside the export that starts at line 1, column 1: expected `}`"
        ]
    );
    assert_eq!(notes, vec![page_note(1)]);
}

/// A reader that is interrupted once, gives its data a few bytes at a
/// time, then fails.
struct Failing {
    data: &'static [u8],
    interrupted: bool,
}

impl Read for Failing {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if !self.interrupted {
            self.interrupted = true;
            return Err(io::ErrorKind::Interrupted.into());
        }
        if self.data.is_empty() {
            return Err(io::Error::other("the disk went away"));
        }
        let n = out.len().min(self.data.len()).min(5);
        out[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

#[test]
fn a_read_error_is_returned() {
    let input = BufReader::with_capacity(
        16,
        Failing {
            data: b"[{\"a\": 1}, {\"b\": 2}, {\"c\":",
            interrupted: false,
        },
    );
    let mut r = DocumentReader::new(input);
    let mut buf = Vec::new();
    for want in [&b"{\"a\": 1}"[..], b"{\"b\": 2}"] {
        let item = r.next_item(&mut buf).unwrap().unwrap();
        assert_eq!(item.record(&buf).unwrap().bytes, want);
    }
    let e = r.next_item(&mut buf).unwrap_err();
    assert_eq!(e.to_string(), "the disk went away");
    assert_eq!(r.records(), 2);
}

#[test]
fn notes_say_what_the_reader_should_know() {
    // a page of a larger export, whichever way it says so
    for page in [
        "{\"totalSize\": 9, \"done\": false, \"records\": [{}, {}]}",
        "{\"records\": [{}, {}], \"nextRecordsUrl\": \"/next\", \"done\": true}",
        "{\"results\": [{}, {}], \"paging\": {\"next\": {\"after\": \"2\"}}}",
        "{\"status\": 0, \"result\": {\"records\": [{}, {}], \"done\": false}}",
    ] {
        assert_eq!(notes(page), vec![page_note(2)], "{page}");
        assert_eq!(
            notes(page),
            super::super::document_records(page).unwrap().notes
        );
    }
    for whole in [
        "{\"totalSize\": 2, \"done\": true, \"nextRecordsUrl\": null, \"records\": [{}, {}]}",
        "{\"results\": [{}], \"paging\": {\"prev\": \"p1\", \"nextPage\": null}}",
        "{\"done\": false}",
    ] {
        assert!(notes(whole).is_empty(), "{whole}");
    }
    // an object read as one lead that looks like a list
    let wrapped = "{\"ok\": true, \"data\": {\"records\": [{\"Id\": \"a\"}, {\"Id\": \"b\"}]}}";
    let got = notes(wrapped);
    assert_eq!(got.len(), 1);
    assert!(got[0].contains("`data.records` holds 2 objects"), "{got:?}");
    assert!(notes("[{\"data\": {\"records\": [{\"Id\": \"a\"}]}}]").is_empty());
    // a key after the records that an export does not have
    let odd = "{\"records\": [{\"a\": 1}, {\"a\": 2}], \"Id\": 1, \"Name\": 2}";
    assert_eq!(read(odd).len(), 2);
    assert_eq!(
        notes(odd),
        vec!["the object that starts at line 1, column 1 was read as a CRM export, but after its records it has `Id`, which an export does not have: the 2 records before it were read as leads"]
    );
    let odd = "{\"status\": 0, \"result\": {\"records\": [{}]}, \"extra\": 1}";
    assert_eq!(notes(odd).len(), 1);
    assert!(notes(odd)[0].contains("`extra`"));
}

/// Every record of valid documents, streamed, is what
/// `document_records` gives: text, number, line and column; and so are
/// the notes.
#[test]
fn streamed_records_are_those_of_the_whole_text() {
    let docs = [
        "[\n  {\"id\": 1},\n\n  {\"id\":\n 2}\n]",
        "{\"records\": [{\"a\": 1}, 7]}",
        "{\"totalSize\": 2, \"done\": true, \"records\": [{\"a\": 1}, 7]}",
        "{\"status\": 0, \"result\": {\"done\": true, \"records\": [{\"a\": 1}, 7]}, \"warnings\": []}",
        "{\"result\": {\"records\": [{\"a\": 1}], \"totalSize\": 1}, \"status\": 0, \"warnings\": []}",
        "\u{feff}{\"results\": [{\"a\": 1}, 7], \"paging\": {}}",
        "\u{feff}  \n [{\"a\": 1}]",
        "{\"status\": \"COMPLETE\", \"results\": [{\"a\": 1}, 7], \"startedAt\": \"x\", \"completedAt\": \"y\"}",
        "{\n  \"id\": 1\n}\n{\n  \"id\": 2\n}\n[{\"id\": 3}]\n",
        "\n{\"Id\": \"x\",\n \"records\": [1]}\n",
        "{\"ok\": true, \"data\": {\"records\": [{\"Id\": \"a\"}, {\"Id\": \"b\"}]}}",
        "{\"totalSize\": 9, \"done\": false, \"nextRecordsUrl\": \"/next\", \"records\": [{}]}",
        "{\"results\": [{\"a\": 1}], \"paging\": {\"next\": {\"after\": \"1\"}}}",
        "\"leads\"",
        "1 2 true null [false, -1.5e3]",
        "[1, \"x\", [2, [3]], {\"a\": \"]}\\\"\"}]",
        "[\"héllo wörld\", {\"名前\": \"日本\"}, {\"a\": 1}]\n  \"ü\" {\"b\": 2}",
        "[\r\n  {\"a\": 1},\r\n  {\"b\": 2}\r\n]\r\n",
        "{\"totalSize\":1,\"records\":[{\"a\":1}]}{\"records\":[{\"b\":2}]}",
        "{\"records\": 5}{\"records\": {\"a\": [1]}}{\"status\": 0}{\"status\": 0, \"result\": [1]}",
        "[]\n[ ]\n{\"records\": []}\n{}",
        "",
        "[{\"a\": \"x\\\\\"}, {\"b\": \"\\\"}\"}, {\"c\": \"\\u00e9\"}]",
        // nested objects and arrays that start lines, at or left of the
        // record's column: valid records are never cut
        "[\n  {\"id\": 1, \"a\": [\n{\"x\": 1},\n  {\"y\": [\n{}]}],\n\"b\": {\n\"c\": \"{\"}},\n  {\"id\": 2}\n]",
        "{\n\"id\": 1,\n\"a\":\n{\"b\": 2}}\n{\"id\": \"\\\\\", \"c\": {}}",
    ];
    for doc in docs {
        let whole = super::super::document_records(doc).unwrap();
        let want: Vec<String> = whole
            .records
            .iter()
            .map(|r| {
                show(
                    &Item::Record {
                        number: r.number,
                        line: r.line,
                        column: r.column,
                    },
                    r.bytes,
                )
            })
            .collect();
        let (items, notes) = read_limit(doc, crate::record::MAX_RECORD_BYTES);
        assert_eq!(items, want, "{doc:?}");
        assert_eq!(notes, whole.notes, "{doc:?}");
    }
}

#[test]
fn sniff_tells_documents_from_lines() {
    use Sniff::{Document, Ndjson};
    let cases: [(&str, Sniff); 22] = [
        // nothing, or not an object or an array
        ("", Ndjson),
        ("\u{feff} \n\t", Ndjson),
        ("\"x\"\n", Ndjson),
        ("7\n", Ndjson),
        // an array, after a byte-order mark and blank lines
        ("\u{feff}\n\n  [", Document),
        ("[{\"id\": 1},", Document),
        // a first line holding a whole lead, or a whole export
        ("{\"id\": 1}\n{\"id\": 2}\n", Ndjson),
        ("{\"id\": 1}", Ndjson),
        (
            "{\"status\": \"MQL\", \"id\": 1}\n{\"status\": \"SQL\"}\n",
            Ndjson,
        ),
        ("{\"totalSize\": 1, \"records\": [{\"id\": 1}]}\n", Document),
        (
            "{\"status\": 0, \"result\": {\"records\": []}, \"warnings\": []}",
            Document,
        ),
        // a first line that does not close, with an export's first key
        (
            "{\"totalSize\": 2, \"done\": true, \"records\": [\n",
            Document,
        ),
        ("{\n  \"records\": [\n    {\"id\": 1}", Document),
        ("{\n  \"status\": 0,\n  \"result\": {", Document),
        // ... else the next non-blank line tells
        ("{\n  \"id\": 1,\n  \"name\": \"x\"\n}\n", Document),
        ("{\"id\": 1,\n\n  \"name\": \"x\"}", Document),
        ("{\"id\": 1, \"name\": \"x\n\n{\"id\": 2}\n", Ndjson),
        ("{\"id\": nope}\n{\"id\": 2}\n", Ndjson),
        // a first line that cannot start JSON is a broken lead
        ("{\"id\": nope}\n\"id\": 2\n", Ndjson),
        // alone (a lead longer than the prefix, or broken): a line
        (
            "{\"id\": 1, \"notes\": \"a long line cut by the pref",
            Ndjson,
        ),
        // ... unless an export's key starts it (a one-line REST answer)
        (
            "{\"totalSize\": 2, \"done\": true, \"records\": [{\"id\": 1}, {\"id\"",
            Document,
        ),
        (
            "{\"id\": nope, \"notes\": \"a long line cut by the pref",
            Ndjson,
        ),
    ];
    for (prefix, want) in cases {
        assert_eq!(sniff(prefix.as_bytes()), want, "{prefix:?}");
    }
    assert_eq!(sniff(b"\xEF\xBB\xBF{\"records\": [{\"a\": 1}]}"), Document);
    assert_eq!(sniff(b"{\"a\": \"\xFF\"}\n"), Ndjson);
}

/// Five records one a line with the middle one broken by `bad`: what the
/// reader gives.
fn one_a_line(bad: &str) -> Vec<String> {
    read(&format!(
        "[\n{{\"id\": \"a1\"}},\n{bad},\n{{\"id\": \"a2\"}},\n{{\"id\": \"a3\"}},\n{{\"id\": \"a4\"}}\n]\n"
    ))
}

#[test]
fn a_broken_record_ends_where_the_next_line_starts_a_record() {
    let good = |n: usize, line: usize, column: usize, id: &str| {
        format!("{n} {line}:{column} {{\"id\": \"{id}\"}}")
    };
    let around = |error: &str| {
        vec![
            good(1, 2, 1, "a1"),
            error.to_string(),
            good(3, 4, 1, "a2"),
            good(4, 5, 1, "a3"),
            good(5, 6, 1, "a4"),
        ]
    };
    // an unterminated string
    assert_eq!(
        one_a_line("{\"id\": \"bad\", \"name\": \"x}"),
        around("error 2 3:1 invalid_json: the record is not valid JSON (at line 3, column 27: a string is not closed at the end of its line): it is taken to end before line 4, where the next record starts, and reading goes on there")
    );
    // a `]` for a `}`, a `}` for a `]`, a missing `}`
    assert_eq!(
        one_a_line("{\"id\": \"bad\", \"tags\": [\"x\"}"),
        around("error 2 3:1 invalid_json: the record is not valid JSON (at line 3, column 27: `}` where `,` or `]` should be): it is taken to end before line 4, where the next record starts, and reading goes on there")
    );
    assert_eq!(
        one_a_line("{\"id\": \"bad\", \"tags\": [{\"x\": 1]"),
        around("error 2 3:1 invalid_json: the record is not valid JSON (at line 3, column 31: `]` where `,` or `}` should be): it is taken to end before line 4, where the next record starts, and reading goes on there")
    );
    assert_eq!(
        one_a_line("{\"id\": \"bad\", \"x\": 1"),
        around("error 2 3:1 invalid_json: the record is not valid JSON (at line 4, column 1: `{` where a key should be): it is taken to end before line 4, where the next record starts, and reading goes on there")
    );
    // a record that ends on its line stays as it was: the evaluator says
    // what is wrong with it (here a stray `]` ends it, and the `}` after it
    // is a fault between records)
    assert_eq!(
        one_a_line("{\"id\": \"bad\", \"x\": 1]}"),
        vec![
            good(1, 2, 1, "a1"),
            "2 3:1 {\"id\": \"bad\", \"x\": 1]".to_string(),
            "error - 3:22 invalid_json: expected `,` or `]` after record 2 at line 3, column 22, found `}`".to_string(),
            good(3, 4, 1, "a2"),
            good(4, 5, 1, "a3"),
            good(5, 6, 1, "a4"),
        ]
    );
    // the first record, after `[` on its line
    assert_eq!(
        read("[{\"id\": \"bad\", \"n\": \"x},\n {\"id\": \"a2\"},\n {\"id\": \"a3\"}]"),
        vec![
            "error 1 1:2 invalid_json: the record is not valid JSON (at line 1, column 25: a string is not closed at the end of its line): it is taken to end before line 2, where the next record starts, and reading goes on there".to_string(),
            good(2, 2, 2, "a2"),
            good(3, 3, 2, "a3"),
        ]
    );
}

#[test]
fn a_broken_pretty_printed_record_ends_at_the_next_record_of_its_column() {
    let record = |id: &str| {
        format!("  {{\n    \"id\": \"{id}\",\n    \"items\": [\n      {{\"a\": 1}},\n      {{\n        \"b\": 2\n      }}\n    ]\n  }}")
    };
    let doc = |bad: &str| {
        format!(
            "{{\n  \"records\": [\n{},\n{bad},\n{},\n{}\n  ],\n  \"done\": true\n}}\n",
            record("a1"),
            record("a2"),
            record("a3")
        )
    };
    let ids = |items: &[String]| -> Vec<String> {
        items
            .iter()
            .map(|i| match i.find("\"id\": \"") {
                Some(k) if !i.starts_with("error") => i[k + 7..k + 9].to_string(),
                _ => i.split(':').next().unwrap().to_string(),
            })
            .collect()
    };
    // the broken one has a nested object at the start of a line, deeper
    // than the records: it stays in the broken record
    for bad in [
        record("bad").replace("\"b\": 2\n      }", "\"b\": 2\n"),
        record("bad").replace("    ]\n  }", "  }"),
    ] {
        let items = read(&doc(&bad));
        assert_eq!(
            ids(&items),
            ["a1", "error 2 12", "a2", "a3"],
            "{bad}\n{items:#?}"
        );
    }
    // broken, but its brackets still end it where it ends: the evaluator
    // says what is wrong with it
    for bad in [
        record("bad").replace("{\"a\": 1}", "{\"a\": 1]"),
        record("bad").replace("\"b\": 2", "\"b\": \"2"),
    ] {
        assert_eq!(ids(&read(&doc(&bad))), ["a1", "ba", "a2", "a3"]);
    }
    // valid, it is what it was
    let valid = doc(&record("ok"));
    assert_eq!(ids(&read(&valid)), ["a1", "ok", "a2", "a3"]);
}

#[test]
fn a_document_with_no_line_to_go_on_from_gives_one_error() {
    // all on one line: nothing after the fault starts a line
    assert_eq!(
        read("[{\"id\": \"a1\"}, {\"id\": \"bad, {\"id\": \"a2\"}, {\"id\": \"a3\"}]\n"),
        vec![
            "1 1:2 {\"id\": \"a1\"}",
            "error 2 1:16 invalid_json: the document ends inside record 2 (it starts at line 1, column 16): the record is not valid JSON (at line 1, column 31: `i` where `,` or `}` should be), and no line after that starts with `{` at column 16 or left of it, where a next record could be read"
        ]
    );
    // a top-level object whose string is not closed, then nothing at its
    // column
    assert_eq!(
        read("{\n  \"id\": \"bad,\n  \"x\": {\n    \"y\": 1\n"),
        vec!["error 1 1:1 invalid_json: the document ends inside record 1 (it starts at line 1, column 1): the record is not valid JSON (at line 2, column 14: a string is not closed at the end of its line), and no line after that starts with `{` at column 1 or left of it, where a next record could be read"]
    );
    // top-level objects one after another (as `jq .` writes them)
    assert_eq!(
        read("{\n  \"id\": \"a1\"\n}\n{\n  \"id\": \"bad\",\n  \"x\": 1\n\n{\n  \"id\": \"a2\"\n}\n"),
        vec![
            "1 1:1 {\n  \"id\": \"a1\"\n}".to_string(),
            "error 2 4:1 invalid_json: the record is not valid JSON (at line 8, column 1: `{` where `,` or `}` should be): it is taken to end before line 8, where the next record starts, and reading goes on there".to_string(),
            "3 8:1 {\n  \"id\": \"a2\"\n}".to_string(),
        ]
    );
}
