//! Time zones as people write them: abbreviations (`IST`, `PST`, `CET`),
//! cities and countries (`London`, `India`), and the fixed-offset zones
//! that look right but ignore daylight saving (`EST`, `UTC+5`).
//!
//! A suggestion by spelling alone is dangerous here: `IST` is two letters
//! from `EST`, ten and a half hours away, and `"EST"` then checks clean.
//! So a calendar's time zone is matched against what the words mean first,
//! and spelling is only the last resort.

/// Abbreviations, cities, regions and countries, lowercase, and the IANA
/// zones they mean. More than one zone: the place spans several, or the
/// abbreviation is used for several (the first is the most common).
const NAMES: &[(&str, &[&str])] = &[
    // abbreviations
    ("ist", &["Asia/Kolkata", "Europe/Dublin", "Asia/Jerusalem"]),
    ("pst", &["America/Los_Angeles"]),
    ("pdt", &["America/Los_Angeles"]),
    ("pt", &["America/Los_Angeles"]),
    ("pacific", &["America/Los_Angeles"]),
    ("mst", &["America/Denver", "America/Phoenix"]),
    ("mdt", &["America/Denver"]),
    ("mt", &["America/Denver"]),
    ("mountain", &["America/Denver"]),
    ("cst", &["America/Chicago", "Asia/Shanghai"]),
    ("cdt", &["America/Chicago"]),
    ("ct", &["America/Chicago"]),
    ("central", &["America/Chicago"]),
    ("est", &["America/New_York"]),
    ("edt", &["America/New_York"]),
    ("et", &["America/New_York"]),
    ("eastern", &["America/New_York"]),
    ("akst", &["America/Anchorage"]),
    ("hst", &["Pacific/Honolulu"]),
    ("gmt", &["Europe/London"]),
    ("bst", &["Europe/London"]),
    ("uk", &["Europe/London"]),
    ("cet", &["Europe/Berlin", "Europe/Paris"]),
    ("cest", &["Europe/Berlin", "Europe/Paris"]),
    ("eet", &["Europe/Athens", "Europe/Helsinki"]),
    ("wet", &["Europe/Lisbon"]),
    ("aest", &["Australia/Sydney", "Australia/Brisbane"]),
    ("aedt", &["Australia/Sydney"]),
    ("acst", &["Australia/Adelaide"]),
    ("awst", &["Australia/Perth"]),
    ("nzst", &["Pacific/Auckland"]),
    ("jst", &["Asia/Tokyo"]),
    ("kst", &["Asia/Seoul"]),
    ("sgt", &["Asia/Singapore"]),
    ("hkt", &["Asia/Hong_Kong"]),
    ("brt", &["America/Sao_Paulo"]),
    ("sast", &["Africa/Johannesburg"]),
    ("gst", &["Asia/Dubai"]),
    ("msk", &["Europe/Moscow"]),
    // cities
    ("london", &["Europe/London"]),
    ("paris", &["Europe/Paris"]),
    ("berlin", &["Europe/Berlin"]),
    ("munich", &["Europe/Berlin"]),
    ("frankfurt", &["Europe/Berlin"]),
    ("hamburg", &["Europe/Berlin"]),
    ("madrid", &["Europe/Madrid"]),
    ("barcelona", &["Europe/Madrid"]),
    ("amsterdam", &["Europe/Amsterdam"]),
    ("dublin", &["Europe/Dublin"]),
    ("lisbon", &["Europe/Lisbon"]),
    ("rome", &["Europe/Rome"]),
    ("milan", &["Europe/Rome"]),
    ("zurich", &["Europe/Zurich"]),
    ("stockholm", &["Europe/Stockholm"]),
    ("oslo", &["Europe/Oslo"]),
    ("copenhagen", &["Europe/Copenhagen"]),
    ("helsinki", &["Europe/Helsinki"]),
    ("warsaw", &["Europe/Warsaw"]),
    ("prague", &["Europe/Prague"]),
    ("vienna", &["Europe/Vienna"]),
    ("brussels", &["Europe/Brussels"]),
    ("mumbai", &["Asia/Kolkata"]),
    ("bombay", &["Asia/Kolkata"]),
    ("bangalore", &["Asia/Kolkata"]),
    ("bengaluru", &["Asia/Kolkata"]),
    ("delhi", &["Asia/Kolkata"]),
    ("new delhi", &["Asia/Kolkata"]),
    ("chennai", &["Asia/Kolkata"]),
    ("hyderabad", &["Asia/Kolkata"]),
    ("kolkata", &["Asia/Kolkata"]),
    ("calcutta", &["Asia/Kolkata"]),
    ("singapore", &["Asia/Singapore"]),
    ("tokyo", &["Asia/Tokyo"]),
    ("seoul", &["Asia/Seoul"]),
    ("hong kong", &["Asia/Hong_Kong"]),
    ("shanghai", &["Asia/Shanghai"]),
    ("beijing", &["Asia/Shanghai"]),
    ("dubai", &["Asia/Dubai"]),
    ("tel aviv", &["Asia/Jerusalem"]),
    ("sydney", &["Australia/Sydney"]),
    ("melbourne", &["Australia/Melbourne"]),
    ("brisbane", &["Australia/Brisbane"]),
    ("perth", &["Australia/Perth"]),
    ("auckland", &["Pacific/Auckland"]),
    ("new york", &["America/New_York"]),
    ("nyc", &["America/New_York"]),
    ("boston", &["America/New_York"]),
    ("atlanta", &["America/New_York"]),
    ("miami", &["America/New_York"]),
    ("chicago", &["America/Chicago"]),
    ("dallas", &["America/Chicago"]),
    ("austin", &["America/Chicago"]),
    ("denver", &["America/Denver"]),
    ("phoenix", &["America/Phoenix"]),
    ("los angeles", &["America/Los_Angeles"]),
    ("la", &["America/Los_Angeles"]),
    ("san francisco", &["America/Los_Angeles"]),
    ("sf", &["America/Los_Angeles"]),
    ("seattle", &["America/Los_Angeles"]),
    ("toronto", &["America/Toronto"]),
    ("montreal", &["America/Toronto"]),
    ("vancouver", &["America/Vancouver"]),
    ("mexico city", &["America/Mexico_City"]),
    ("sao paulo", &["America/Sao_Paulo"]),
    ("são paulo", &["America/Sao_Paulo"]),
    ("buenos aires", &["America/Argentina/Buenos_Aires"]),
    ("johannesburg", &["Africa/Johannesburg"]),
    ("cairo", &["Africa/Cairo"]),
    ("moscow", &["Europe/Moscow"]),
    ("istanbul", &["Europe/Istanbul"]),
    // countries and regions
    ("india", &["Asia/Kolkata"]),
    ("germany", &["Europe/Berlin"]),
    ("france", &["Europe/Paris"]),
    ("spain", &["Europe/Madrid"]),
    ("italy", &["Europe/Rome"]),
    ("netherlands", &["Europe/Amsterdam"]),
    ("ireland", &["Europe/Dublin"]),
    ("portugal", &["Europe/Lisbon"]),
    ("switzerland", &["Europe/Zurich"]),
    ("sweden", &["Europe/Stockholm"]),
    ("poland", &["Europe/Warsaw"]),
    ("united kingdom", &["Europe/London"]),
    ("england", &["Europe/London"]),
    ("britain", &["Europe/London"]),
    ("japan", &["Asia/Tokyo"]),
    ("korea", &["Asia/Seoul"]),
    ("china", &["Asia/Shanghai"]),
    ("israel", &["Asia/Jerusalem"]),
    ("uae", &["Asia/Dubai"]),
    ("new zealand", &["Pacific/Auckland"]),
    (
        "australia",
        &["Australia/Sydney", "Australia/Melbourne", "Australia/Perth"],
    ),
    ("brazil", &["America/Sao_Paulo"]),
    ("canada", &["America/Toronto", "America/Vancouver"]),
    ("mexico", &["America/Mexico_City"]),
    (
        "us",
        &[
            "America/New_York",
            "America/Chicago",
            "America/Denver",
            "America/Los_Angeles",
        ],
    ),
    (
        "usa",
        &[
            "America/New_York",
            "America/Chicago",
            "America/Denver",
            "America/Los_Angeles",
        ],
    ),
    ("emea", &["Europe/London", "Europe/Berlin"]),
    ("europe", &["Europe/London", "Europe/Berlin"]),
];

/// The IANA zones a written zone that is not one may mean: by its meaning
/// (an abbreviation, a city, a country), never by spelling. Empty when
/// the words are not known.
pub(crate) fn meant(written: &str) -> &'static [&'static str] {
    let key = written
        .trim()
        .to_lowercase()
        .replace(['_', '-'], " ")
        .replace(" time", "")
        .replace(" standard", "")
        .replace(" daylight", "");
    // `America/NewYork`, `Europe/london`: the last part names the city
    let key = key.rsplit('/').next().unwrap_or(&key).trim().to_string();
    let squashed = key.replace(' ', "");
    NAMES
        .iter()
        .find(|(n, _)| *n == key || n.replace(' ', "") == squashed)
        .map_or(&[], |(_, z)| *z)
}

/// A zone that jiff accepts but whose clock never changes, where the place
/// its name suggests does change it: `EST` is UTC-5 all year while New
/// York moves to UTC-4 in summer. The zone to use instead.
pub(crate) fn fixed_offset_instead(zone: &str) -> Option<(&'static str, &'static str)> {
    let z = zone.trim();
    let upper = z.to_ascii_uppercase();
    Some(match upper.as_str() {
        "EST" => ("America/New_York", "UTC-5"),
        "MST" => ("America/Denver", "UTC-7"),
        "CST6CDT" | "EST5EDT" | "MST7MDT" | "PST8PDT" => return None,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zones_by_meaning() {
        assert_eq!(meant("IST")[0], "Asia/Kolkata");
        assert_eq!(meant("PST"), ["America/Los_Angeles"]);
        assert_eq!(meant("London"), ["Europe/London"]);
        assert_eq!(meant("India"), ["Asia/Kolkata"]);
        assert_eq!(meant("New York"), ["America/New_York"]);
        assert_eq!(meant("America/NewYork"), ["America/New_York"]);
        assert_eq!(meant("Pacific Standard Time"), ["America/Los_Angeles"]);
        assert!(meant("Narnia").is_empty());
        // every zone named exists in the database
        for (_, zones) in NAMES {
            for z in *zones {
                assert!(jiff::tz::TimeZone::get(z).is_ok(), "{z}");
            }
        }
    }

    #[test]
    fn fixed_offsets_that_ignore_daylight_saving() {
        assert_eq!(
            fixed_offset_instead("EST").map(|z| z.0),
            Some("America/New_York")
        );
        assert_eq!(fixed_offset_instead("Europe/Berlin"), None);
    }
}
