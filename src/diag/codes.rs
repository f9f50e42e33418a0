//! The registry of diagnostic codes.
//!
//! Every diagnostic the tool can emit has one stable code here. A code is
//! never reused for another meaning and never renumbered: CI configurations
//! and `--deny` lists depend on it. `docs/diagnostics.md` has one section per
//! code (a test keeps the two in step), and `handoff explain-code` prints it.

use super::Severity;

macro_rules! codes {
    ($($variant:ident = $code:literal, $name:literal, $sev:ident;)*) => {
        /// A stable diagnostic code such as `H101`.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[allow(missing_docs)] // each code is documented in docs/diagnostics.md
        pub enum Code {
            $($variant,)*
        }

        impl Code {
            /// Every code, in registry order.
            pub const ALL: &'static [Code] = &[$(Code::$variant,)*];

            /// The code as written in output and docs, e.g. `H101`.
            pub fn as_str(self) -> &'static str {
                match self { $(Code::$variant => $code,)* }
            }

            /// A short kebab-case name, e.g. `unknown-field`.
            pub fn name(self) -> &'static str {
                match self { $(Code::$variant => $name,)* }
            }

            /// The severity a diagnostic with this code has.
            pub fn severity(self) -> Severity {
                match self { $(Code::$variant => Severity::$sev,)* }
            }

            /// Look a code up by its code (`H101`, case-insensitive) or name.
            pub fn lookup(s: &str) -> Option<Code> {
                let s = s.trim();
                Code::ALL.iter().copied().find(|c| {
                    c.as_str().eq_ignore_ascii_case(s) || c.name().eq_ignore_ascii_case(s)
                })
            }
        }
    };
}

codes! {
    // -- reading and parsing (H0xx)
    Syntax             = "H001", "syntax-error", Error;
    InvalidUtf8        = "H002", "invalid-utf8", Error;
    FileTooLarge       = "H003", "file-too-large", Error;
    TooDeep            = "H004", "nesting-too-deep", Error;
    UnclosedBlock      = "H005", "unclosed-block", Error;
    AssignForEquals    = "H006", "assign-instead-of-equals", Error;
    MissingOtherwise   = "H007", "missing-otherwise", Error;
    DurationUnit       = "H008", "duration-without-unit", Error;
    SmartQuote         = "H009", "smart-quote", Error;
    UnterminatedString = "H010", "unterminated-string", Error;
    UnknownType        = "H011", "unknown-type", Error;
    RuleAfterOtherwise = "H012", "rule-after-otherwise", Error;
    DuplicateOtherwise = "H013", "duplicate-otherwise", Error;
    InvalidEscape      = "H014", "invalid-escape", Error;
    InvalidLiteral     = "H015", "invalid-literal", Error;
    WrongArrow         = "H016", "wrong-arrow", Error;
    EmptyPolicy        = "H017", "empty-policy", Error;
    DefineWithEquals   = "H018", "define-with-double-equals", Error;
    UnreadableFile     = "H019", "unreadable-file", Error;
    DurationWords      = "H020", "duration-in-words", Error;
    PercentWords       = "H021", "percent-in-words", Error;
    NumberFormat       = "H022", "number-format", Error;
    CalendarHours      = "H023", "calendar-hours-format", Error;
    DayWithoutHours    = "H024", "day-without-hours", Error;
    HashComment        = "H025", "hash-comment", Error;
    OperatorSpelling   = "H026", "operator-spelling", Error;
    SingleQuotes       = "H027", "single-quoted-string", Error;
    TrailingComma      = "H028", "trailing-comma", Error;
    ParenthesesForList = "H029", "parentheses-for-list", Error;
    UnquotedText       = "H030", "unquoted-text", Error;
    UnquotedValues     = "H031", "unquoted-enum-values", Error;

    // -- names (H1xx)
    UnknownField       = "H101", "unknown-field", Error;
    UnknownName        = "H102", "unknown-name", Error;
    UnknownRole        = "H103", "unknown-role", Error;
    UnknownTeam        = "H104", "unknown-team", Error;
    UnknownQueue       = "H105", "unknown-queue", Error;
    UnknownStage       = "H106", "unknown-stage", Error;
    UnknownPlaybook    = "H107", "unknown-playbook", Error;
    UnknownCalendar    = "H108", "unknown-calendar", Error;
    UnknownFunction    = "H109", "unknown-function", Error;
    Duplicate          = "H110", "duplicate-definition", Error;
    Unused             = "H111", "unused-definition", Warning;
    ImportNotFound     = "H112", "import-not-found", Error;
    ImportCycle        = "H113", "import-cycle", Error;
    MissingSchema      = "H114", "missing-lead-schema", Error;
    MissingHeader      = "H115", "missing-policy-header", Error;
    DuplicateEntry     = "H116", "duplicate-entry", Error;
    MissingEntry       = "H117", "missing-entry", Error;
    DuplicateField     = "H118", "duplicate-field", Error;
    MissingHandoff     = "H119", "missing-handoff", Error;
    ImportOutside      = "H120", "import-outside-policy", Error;
    ImportNotAPolicy   = "H121", "import-not-a-policy", Error;

    // -- types (H2xx)
    TypeMismatch       = "H201", "type-mismatch", Error;
    NotACondition      = "H202", "not-a-condition", Error;
    BadArguments       = "H203", "bad-arguments", Error;
    UnknownEnumValue   = "H204", "unknown-enum-value", Error;
    NotATimestamp      = "H205", "not-a-timestamp", Error;
    NotAList           = "H206", "not-a-list", Error;
    NegatedOptional    = "H207", "negated-optional", Warning;
    InvalidRegex       = "H208", "invalid-regex", Error;
    MisplacedLambda    = "H209", "misplaced-lambda", Error;
    NumberForDuration  = "H210", "number-where-duration-expected", Error;
    RequireConstraint  = "H211", "invalid-requirement", Error;

    // -- routing (H3xx)
    UnreachableRoute   = "H301", "unreachable-route", Warning;
    NonPositive        = "H302", "non-positive-amount", Error;
    UnknownStrategy    = "H303", "unknown-strategy", Error;
    MissingState       = "H304", "strategy-needs-state", Error;
    NoMembers          = "H305", "team-without-members", Error;

    // -- escalation and time (H4xx)
    DelayNotPositive   = "H401", "delay-not-positive", Error;
    DelayNotIncreasing = "H402", "delays-not-increasing", Error;
    InvalidTimeZone    = "H403", "invalid-time-zone", Error;
    NoBusinessHours    = "H404", "calendar-without-hours", Error;
    InvalidHours       = "H405", "invalid-hours", Error;
    FixedOffsetZone    = "H406", "fixed-offset-time-zone", Warning;

    // -- stages (H5xx)
    StageCycle         = "H501", "stage-cycle", Error;
    MissingRole        = "H502", "handoff-without-role", Error;
    NeverReady         = "H503", "condition-never-true", Warning;
    StageNotInField    = "H504", "stage-not-in-tracking-field", Error;

    // -- context and privacy (H6xx)
    PiiNotVisible      = "H601", "pii-not-visible-to-owner", Error;
    ConsentNotBool     = "H602", "consent-field-not-bool", Error;
    UnknownFormat      = "H603", "unknown-format", Error;
    ConsentChannelUnused = "H604", "consent-channel-unused", Warning;
    QuotedFormatName   = "H605", "quoted-format-name", Warning;

    // -- signals, scores, metrics (H7xx)
    SignalCycle        = "H701", "signal-cycle", Error;
    SelfReference      = "H702", "self-reference", Error;
    MetricType         = "H703", "metric-type", Error;

    // -- test suites (H8xx)
    TestFile           = "H801", "invalid-test-suite", Error;
    TestUnknownName    = "H802", "test-expects-unknown-name", Error;
    TestPathOutside    = "H803", "test-path-outside-suite", Error;
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn codes_and_names_are_unique() {
        let mut codes = HashSet::new();
        let mut names = HashSet::new();
        for c in Code::ALL {
            assert!(codes.insert(c.as_str()), "duplicate code {}", c.as_str());
            assert!(names.insert(c.name()), "duplicate name {}", c.name());
        }
        assert_eq!(Code::lookup("h101"), Some(Code::UnknownField));
        assert_eq!(Code::lookup("unknown-field"), Some(Code::UnknownField));
        assert_eq!(Code::lookup("H999"), None);
    }
}
