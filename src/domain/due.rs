//! Due dates: a day in the calendar, with no time of day (`YYYY-MM-DD`, what
//! `<input type="date">` sends), and what the task page calls it: "Today", "Tomorrow",
//! "Overdue" with the date, or the date, where "today" is the day in the person's time zone.

use std::fmt;

use time::{Date, Month};

use super::{AppError, Message};

/// A due date: a real day from 1900 to 9999.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct DueDate(Date);

impl DueDate {
    /// The date in `input` (`2026-12-31`), or `None` when it is blank (no due date).
    pub fn parse(input: &str, field: &str) -> Result<Option<DueDate>, AppError> {
        let text = input.trim();
        if text.is_empty() {
            return Ok(None);
        }
        DueDate::read(text)
            .map(Some)
            .ok_or_else(|| AppError::invalid(field, Message::DueInvalid))
    }

    /// `YYYY-MM-DD`, a real day from 1900 to 9999; `None` for anything else.
    fn read(text: &str) -> Option<DueDate> {
        let bytes = text.as_bytes();
        let well_formed = bytes.len() == 10
            && bytes.iter().enumerate().all(|(i, b)| match i {
                4 | 7 => *b == b'-',
                _ => b.is_ascii_digit(),
            });
        if !well_formed {
            return None;
        }
        let year: i32 = text[..4].parse().ok()?;
        let month: u8 = text[5..7].parse().ok()?;
        let day: u8 = text[8..].parse().ok()?;
        if year < 1900 {
            return None;
        }
        let month = Month::try_from(month).ok()?;
        Date::from_calendar_date(year, month, day).ok().map(DueDate)
    }

    /// A date the database holds (written by [`DueDate::to_string`]).
    pub fn from_stored(text: &str) -> Option<DueDate> {
        DueDate::read(text)
    }

    /// What the task page calls the date on `today`: "Today", "Tomorrow", the date (short
    /// within the year), or, for a task not done whose day has passed, "Overdue" with it.
    pub fn label(self, today: Date, completed: bool) -> DueLabel {
        let date = self.0;
        let days = (date - today).whole_days();
        let written = if date.year() == today.year() {
            format!(
                "{} {} {}",
                weekday(date),
                date.day(),
                month_abbr(date.month())
            )
        } else {
            format!(
                "{} {} {}",
                date.day(),
                month_abbr(date.month()),
                date.year()
            )
        };
        let overdue = days < 0 && !completed;
        let text = match days {
            0 => "Today".to_owned(),
            1 => "Tomorrow".to_owned(),
            _ if overdue => format!("Overdue: {written}"),
            _ => written,
        };
        DueLabel { text, overdue }
    }
}

/// A due date as the task page shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueLabel {
    pub text: String,
    /// The day has passed and the task is not done.
    pub overdue: bool,
}

impl fmt::Display for DueDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:04}-{:02}-{:02}",
            self.0.year(),
            u8::from(self.0.month()),
            self.0.day()
        )
    }
}

impl fmt::Debug for DueDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DueDate({self})")
    }
}

fn weekday(date: Date) -> &'static str {
    use time::Weekday::*;
    match date.weekday() {
        Monday => "Mon",
        Tuesday => "Tue",
        Wednesday => "Wed",
        Thursday => "Thu",
        Friday => "Fri",
        Saturday => "Sat",
        Sunday => "Sun",
    }
}

fn month_abbr(month: Month) -> &'static str {
    use Month::*;
    match month {
        January => "Jan",
        February => "Feb",
        March => "Mar",
        April => "Apr",
        May => "May",
        June => "Jun",
        July => "Jul",
        August => "Aug",
        September => "Sep",
        October => "Oct",
        November => "Nov",
        December => "Dec",
    }
}

/// Longest time zone name we read (the longest IANA name is 32 characters).
const ZONE_MAX_LEN: usize = 64;

/// The time zone of the IANA database named `name` (`Europe/Paris`, `UTC`), if it is one.
fn time_zone(name: &str) -> Option<jiff::tz::TimeZone> {
    (name.len() <= ZONE_MAX_LEN)
        .then(|| jiff::tz::TimeZone::get(name).ok())
        .flatten()
}

/// Reads the time zone a person chose (an IANA name, as [`time_zones`] lists them); blank for
/// "their browser's" (`None`).
pub fn parse_time_zone(text: &str, field: &str) -> Result<Option<String>, AppError> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    match time_zone(text) {
        Some(_) => Ok(Some(text.to_owned())),
        None => Err(AppError::invalid(field, Message::TimeZoneUnknown)),
    }
}

/// The names of every time zone there is (`Africa/Abidjan` … `Zulu`), in order.
pub fn time_zones() -> Vec<String> {
    let mut zones: Vec<String> = jiff::tz::db()
        .available()
        .map(|name| name.as_str().to_owned())
        // Not places: the legacy names that only alias others (`EST5EDT`, `Etc/GMT+5`).
        .filter(|name| (name.contains('/') && !name.starts_with("Etc/")) || name == "UTC")
        .collect();
    zones.sort_unstable();
    zones
}

/// Today's date in the time zone `zone` (an IANA name); in UTC when there is none, or it is
/// not one.
pub fn today_in(zone: Option<&str>) -> Date {
    let zone = zone.and_then(time_zone).unwrap_or(jiff::tz::TimeZone::UTC);
    let day = jiff::Timestamp::now().to_zoned(zone).date();
    Month::try_from(day.month() as u8)
        .ok()
        .and_then(|month| {
            Date::from_calendar_date(i32::from(day.year()), month, day.day() as u8).ok()
        })
        .unwrap_or(Date::MIN)
}

#[cfg(test)]
mod tests {
    use time::macros::date;

    use super::*;

    #[test]
    fn due_dates_are_real_days_written_as_the_date_input_sends_them() {
        let due = DueDate::parse(" 2026-12-31 ", "due_on").unwrap().unwrap();
        assert_eq!(due.to_string(), "2026-12-31");
        assert_eq!(DueDate::parse("", "due_on").unwrap(), None);
        assert!(DueDate::parse("2028-02-29", "due_on").unwrap().is_some());
        for bad in [
            "2027-02-29",
            "2026-13-01",
            "2026-12-32",
            "31/12/2026",
            "2026-1-5",
            "tomorrow",
            "1899-12-31",
            "+12026-01-01",
            "2026-12-31T10:00",
        ] {
            assert_eq!(
                DueDate::parse(bad, "due_on").unwrap_err(),
                AppError::invalid("due_on", Message::DueInvalid),
                "{bad}"
            );
        }
    }

    #[test]
    fn labels_say_today_tomorrow_overdue_or_the_date() {
        let today = date!(2026 - 12 - 07);
        let label =
            |text: &str, completed| DueDate::from_stored(text).unwrap().label(today, completed);
        assert_eq!(label("2026-12-07", false).text, "Today");
        assert_eq!(label("2026-12-08", false).text, "Tomorrow");
        assert_eq!(label("2026-12-18", false).text, "Fri 18 Dec");
        assert_eq!(label("2027-01-04", false).text, "4 Jan 2027");
        let late = label("2026-12-06", false);
        assert_eq!(
            (late.text.as_str(), late.overdue),
            ("Overdue: Sun 6 Dec", true)
        );
        // A task done is not overdue.
        let done = label("2026-12-06", true);
        assert_eq!((done.text.as_str(), done.overdue), ("Sun 6 Dec", false));
    }

    #[test]
    fn today_is_the_day_in_the_persons_time_zone() {
        assert!(time_zone("Europe/Paris").is_some() && time_zone("UTC").is_some());
        assert!(time_zone("Mars/Olympus").is_none() && time_zone("../../etc/passwd").is_none());
        // Kiritimati (UTC+14) and Pago Pago (UTC-11) are never on the same day.
        let east = today_in(Some("Pacific/Kiritimati"));
        let west = today_in(Some("Pacific/Pago_Pago"));
        assert_eq!((east - west).whole_days(), 1);
        assert_eq!(today_in(Some("nonsense")), today_in(None));
    }
}
