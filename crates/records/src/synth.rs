//! A synthetic records extract in the import layout: never real people.
//!
//! About one person in ten has complex needs: repeated admissions (often under the Mental
//! Health Act, some to psychiatric intensive care), crisis team care, and contact with many
//! agencies (A&E, ambulance, police, custody, housing support, social care, sometimes prison),
//! with substance use common. Their crises follow a recognisable course: A&E or the police, the
//! crisis team, admission, follow-up by the community team within a week of discharge. Everyone
//! else has light contact: a community team or psychological therapy, their GP, now and then
//! A&E. About 50 rows per person on average, 10% of people giving about 60% of the rows.
//!
//! Each person is drawn from their own generator seeded from (seed, index), so any slice of
//! the population can be written in parallel and the result is the same.
//!
//! Direct identifiers are written too, so that the import's dropping of them is exercised;
//! they are plainly fake: NHS numbers in the 999 test range, "ZZ99" pseudo-postcodes.

use std::fmt::Write as _;

use chrono::{Datelike, Duration, NaiveDate};
use rand::rngs::ChaCha8Rng;
use rand::{RngExt, SeedableRng};

use crate::layout::FileKind;

/// The synthetic extract's shape.
#[derive(Debug, Clone, Copy)]
pub struct Synth {
    pub seed: u64,
    /// The last day of the extract (the cohort index date the demo uses).
    pub end: NaiveDate,
    /// How many years of history.
    pub years: u32,
}

impl Synth {
    pub fn new(seed: u64, end: NaiveDate) -> Synth {
        Synth { seed, end, years: 5 }
    }

    /// The header line of each file as the generator writes it.
    pub fn header(kind: FileKind) -> &'static str {
        match kind {
            FileKind::People => {
                "source_id,name,nhs_number,date_of_birth,postcode,year_of_birth,sex,gender,ethnicity,deprivation_decile"
            }
            FileKind::Diagnoses => "source_id,date,icd10",
            FileKind::Referrals => "source_id,date,service,source",
            FileKind::Contacts => "source_id,date,service,duration_minutes,attended",
            FileKind::Spells => "source_id,spell_id,admitted,discharged",
            FileKind::WardStays => "source_id,spell_id,ward,start,end",
            FileKind::Detentions => "source_id,section,start,end",
            FileKind::AgencyContacts => "source_id,date,agency,quantity",
            FileKind::Outcomes => "source_id,date,measure,value",
        }
    }

    /// Appends person `index`'s lines to `out` (one buffer per file, in `FileKind::ALL` order).
    pub fn write_person(&self, index: u64, out: &mut [String; 9]) {
        let mut g = Gen {
            rng: ChaCha8Rng::seed_from_u64(self.seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ index),
            start: self.end - Duration::days(i64::from(self.years) * 365),
            days: i64::from(self.years) * 365,
            end: self.end,
        };
        let id = format!("S{index:08}");
        let complex = g.rng.random_bool(0.1);
        g.person(&id, index, complex, out);
        if complex {
            g.complex_history(&id, out);
        } else {
            g.light_history(&id, out);
        }
    }
}

struct Gen {
    rng: ChaCha8Rng,
    start: NaiveDate,
    days: i64,
    end: NaiveDate,
}

const FIRST: [&str; 12] = [
    "Alex", "Sam", "Jo", "Robin", "Chris", "Pat", "Lee", "Kim", "Jamie", "Drew", "Ash", "Frankie",
];
const LAST: [&str; 8] = [
    "Testperson",
    "Synthetic",
    "Example",
    "Sample",
    "Madeup",
    "Fictional",
    "Demo",
    "Placeholder",
];

fn buf(out: &mut [String; 9], kind: FileKind) -> &mut String {
    let [
        people,
        diagnoses,
        referrals,
        contacts,
        spells,
        ward_stays,
        detentions,
        agency,
        outcomes,
    ] = out;
    match kind {
        FileKind::People => people,
        FileKind::Diagnoses => diagnoses,
        FileKind::Referrals => referrals,
        FileKind::Contacts => contacts,
        FileKind::Spells => spells,
        FileKind::WardStays => ward_stays,
        FileKind::Detentions => detentions,
        FileKind::AgencyContacts => agency,
        FileKind::Outcomes => outcomes,
    }
}

impl Gen {
    fn poisson(&mut self, lambda: f64) -> u32 {
        if lambda <= 0.0 {
            return 0;
        }
        if lambda > 30.0 {
            // Normal approximation for large means.
            let z = self.normal();
            return (lambda + z * lambda.sqrt()).round().max(0.0) as u32;
        }
        let limit = (-lambda).exp();
        let (mut k, mut p) = (0u32, 1.0f64);
        loop {
            p *= self.rng.random::<f64>();
            if p <= limit {
                return k;
            }
            k += 1;
        }
    }

    fn normal(&mut self) -> f64 {
        let u1: f64 = self.rng.random::<f64>().max(1e-12);
        let u2: f64 = self.rng.random();
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }

    fn day(&mut self) -> NaiveDate {
        self.start + Duration::days(self.rng.random_range(0..=self.days))
    }

    fn clamp(&self, d: NaiveDate) -> NaiveDate {
        d.clamp(self.start, self.end)
    }

    fn pick<'a>(&mut self, weighted: &[(&'a str, u32)]) -> &'a str {
        let total: u32 = weighted.iter().map(|(_, w)| w).sum();
        let mut at = self.rng.random_range(0..total.max(1));
        for (v, w) in weighted {
            if at < *w {
                return v;
            }
            at -= w;
        }
        weighted.first().map(|(v, _)| *v).unwrap_or_default()
    }

    fn person(&mut self, id: &str, index: u64, complex: bool, out: &mut [String; 9]) {
        let age = if complex {
            self.rng.random_range(18..=65)
        } else {
            self.rng.random_range(18..=85)
        };
        let year = self.end.year() - age;
        let dob = NaiveDate::from_ymd_opt(year, self.rng.random_range(1..=12), self.rng.random_range(1..=28))
            .unwrap_or(self.end);
        let sex = self.pick(&[("female", 49), ("male", 49), ("intersex", 1), ("not_stated", 1)]);
        let gender = match sex {
            "female" => self.pick(&[("woman", 96), ("non_binary", 2), ("", 2)]),
            "male" => self.pick(&[("man", 96), ("non_binary", 2), ("", 2)]),
            _ => self.pick(&[("other", 1), ("not_stated", 1), ("", 1)]),
        };
        let ethnicity = self.pick(&[
            ("A", 72),
            ("B", 1),
            ("C", 6),
            ("D", 1),
            ("E", 1),
            ("F", 1),
            ("G", 1),
            ("H", 3),
            ("J", 2),
            ("K", 1),
            ("L", 2),
            ("M", 2),
            ("N", 3),
            ("P", 1),
            ("R", 1),
            ("S", 2),
            ("Z", 3),
            ("99", 1),
        ]);
        let decile = if self.rng.random_bool(0.04) {
            String::new()
        } else if complex {
            // Complex needs gather where deprivation is deepest.
            (1 + (self.rng.random::<f64>().powi(2) * 10.0) as u32)
                .min(10)
                .to_string()
        } else {
            self.rng.random_range(1..=10u32).to_string()
        };
        let first = FIRST.get(index as usize % FIRST.len()).copied().unwrap_or("Alex");
        let last = LAST
            .get((index as usize / FIRST.len()) % LAST.len())
            .copied()
            .unwrap_or("Example");
        let postcode = format!(
            "ZZ99 {}{}{}",
            index % 10,
            (b'A' + (index % 26) as u8) as char,
            (b'A' + (index / 26 % 26) as u8) as char
        );
        let _ = writeln!(
            buf(out, FileKind::People),
            "{id},{first} {last},999{:07},{dob},{postcode},{year},{sex},{gender},{ethnicity},{decile}",
            index % 10_000_000
        );
    }

    fn diagnosis(&mut self, id: &str, code: &str, out: &mut [String; 9]) {
        let d = self.day();
        let _ = writeln!(buf(out, FileKind::Diagnoses), "{id},{d},{code}");
    }

    fn contact(&mut self, id: &str, date: NaiveDate, service: &str, attend: f64, out: &mut [String; 9]) {
        let minutes = self.rng.random_range(3..=12u32) * 5;
        let attended = if self.rng.random_bool(attend) { "yes" } else { "no" };
        let _ = writeln!(
            buf(out, FileKind::Contacts),
            "{id},{date},{service},{minutes},{attended}"
        );
    }

    fn agency(&mut self, id: &str, date: NaiveDate, agency: &str, quantity: u32, out: &mut [String; 9]) {
        let _ = writeln!(buf(out, FileKind::AgencyContacts), "{id},{date},{agency},{quantity}");
    }

    fn utilities(&mut self, id: &str, mean: f64, count: u32, out: &mut [String; 9]) {
        for _ in 0..count {
            let d = self.day();
            let v = (mean + 0.15 * self.normal()).clamp(-0.59, 1.0);
            let _ = writeln!(buf(out, FileKind::Outcomes), "{id},{d},eq5d_utility,{v:.3}");
        }
    }

    fn light_history(&mut self, id: &str, out: &mut [String; 9]) {
        let dx = self.pick(&[
            ("F32.1", 40),
            ("F41.1", 35),
            ("F20.0", 5),
            ("F60.3", 5),
            ("F10.2", 8),
            ("F43.1", 7),
        ]);
        self.diagnosis(id, dx, out);
        let service = self.pick(&[("cmht", 55), ("psychology", 35), ("older_adults", 5), ("perinatal", 5)]);
        let referred = self.day();
        let source = self.pick(&[("gp", 75), ("self", 15), ("carer", 5), ("social_care", 5)]);
        let _ = writeln!(buf(out, FileKind::Referrals), "{id},{referred},{service},{source}");
        for _ in 0..self.poisson(14.0) {
            let offset = self.rng.random_range(0..720);
            let d = self.clamp(referred + Duration::days(offset));
            self.contact(id, d, service, 0.86, out);
        }
        for _ in 0..self.poisson(8.0) {
            let d = self.day();
            self.agency(id, d, "gp", 1, out);
        }
        for (agency, rate) in [
            ("ae", 0.3),
            ("voluntary", 0.4),
            ("social_care", 0.05),
            ("ambulance", 0.05),
        ] {
            for _ in 0..self.poisson(rate) {
                let d = self.day();
                self.agency(id, d, agency, 1, out);
            }
        }
        if self.rng.random_bool(0.03) {
            let from = self.day();
            self.admission(id, 0, from, 18.0, false, out);
        }
        let n = self.rng.random_range(1..=3);
        self.utilities(id, 0.76, n, out);
    }

    fn complex_history(&mut self, id: &str, out: &mut [String; 9]) {
        let primary = self.pick(&[
            ("F20.0", 30),
            ("F25.0", 10),
            ("F60.3", 30),
            ("F31.2", 15),
            ("F33.2", 15),
        ]);
        self.diagnosis(id, primary, out);
        let substance = self.rng.random_bool(0.65);
        if substance {
            let s = self.pick(&[("F10.2", 45), ("F12.2", 25), ("F11.2", 15), ("F19.2", 15)]);
            self.diagnosis(id, s, out);
        }
        for _ in 0..self.poisson(3.0) {
            let d = self.day();
            let service = self.pick(&[
                ("crisis", 40),
                ("cmht", 30),
                ("assertive_outreach", 15),
                ("substance_misuse", 15),
            ]);
            let source = self.pick(&[
                ("police", 25),
                ("ae", 25),
                ("gp", 20),
                ("criminal_justice", 10),
                ("self", 10),
                ("carer", 10),
            ]);
            let _ = writeln!(buf(out, FileKind::Referrals), "{id},{d},{service},{source}");
        }
        // Admissions one after another: each starts after the last discharge.
        let admissions = self.poisson(4.5);
        let mut from = self.start + Duration::days(self.rng.random_range(0..=self.days / 3));
        for n in 0..admissions {
            let gap = self.days / (i64::from(admissions) + 1);
            from += Duration::days(self.rng.random_range(1..=gap.max(2)));
            match self.admission(id, n, from, 28.0, true, out) {
                Some(discharged) => from = discharged,
                None => break,
            }
        }
        let outreach = self.rng.random_bool(0.3);
        for (service, rate, attend) in [
            ("cmht", if outreach { 40.0 } else { 90.0 }, 0.72),
            ("assertive_outreach", if outreach { 60.0 } else { 0.0 }, 0.8),
            ("crisis", 12.0, 0.9),
            ("substance_misuse", if substance { 20.0 } else { 0.0 }, 0.6),
            ("liaison", 2.0, 0.95),
            ("psychology", 3.0, 0.7),
        ] {
            for _ in 0..self.poisson(rate) {
                let d = self.day();
                self.contact(id, d, service, attend, out);
            }
        }
        for (agency, rate) in [
            ("ae", 8.0),
            ("ambulance", 5.0),
            ("police", 6.0),
            ("custody", 1.5),
            ("social_care", 15.0),
            ("gp", 20.0),
            ("voluntary", 10.0),
        ] {
            for _ in 0..self.poisson(rate) {
                let d = self.day();
                self.agency(id, d, agency, 1, out);
            }
        }
        if self.rng.random_bool(0.55) {
            // A tenancy-support package: weekly visits over a stretch of months.
            let from = self.day();
            for week in 0..self.rng.random_range(8..60) {
                let d = from + Duration::days(7 * week);
                if d > self.end {
                    break;
                }
                self.agency(id, d, "housing_support", 1, out);
            }
        }
        if self.rng.random_bool(0.08) {
            let d = self.day();
            let nights = self.rng.random_range(14..=180);
            self.agency(id, d, "prison", nights, out);
        }
        let n = self.rng.random_range(3..=6);
        self.utilities(id, 0.48, n, out);
    }

    /// One admission with what leads to it and what follows: often A&E or the police first,
    /// the crisis team, the spell with its ward stays (and a detention for many), then
    /// community follow-up within a week of discharge.
    /// Returns the discharge date, or `None` if the person is still in hospital (or the day
    /// given is past the end of the extract).
    fn admission(
        &mut self,
        id: &str,
        n: u32,
        admitted: NaiveDate,
        median_days: f64,
        complex: bool,
        out: &mut [String; 9],
    ) -> Option<NaiveDate> {
        if admitted > self.end {
            return None;
        }
        let length = (median_days * (0.7 * self.normal()).exp()).round().max(1.0) as i64;
        let discharged = admitted + Duration::days(length);
        let still_in = discharged > self.end;
        if complex && self.rng.random_bool(0.6) {
            let offset = self.rng.random_range(1..=3);
            let d = self.clamp(admitted - Duration::days(offset));
            let agency = if self.rng.random_bool(0.35) { "police" } else { "ae" };
            self.agency(id, d, agency, 1, out);
            if agency == "police" && self.rng.random_bool(0.5) {
                let end = self.clamp(d + Duration::days(1));
                let _ = writeln!(buf(out, FileKind::Detentions), "{id},s136,{d},{end}");
            }
        }
        for _ in 0..self.rng.random_range(0..=3) {
            let offset = self.rng.random_range(0..=6);
            let d = self.clamp(admitted - Duration::days(offset));
            self.contact(id, d, "crisis", 0.9, out);
        }
        let spell = format!("{id}-{n}");
        let end = if still_in {
            String::new()
        } else {
            discharged.to_string()
        };
        let _ = writeln!(buf(out, FileKind::Spells), "{id},{spell},{admitted},{end}");
        // Ward stays: most on an acute ward; some move to intensive care and back.
        let first = if complex {
            self.pick(&[("acute", 80), ("picu", 8), ("forensic", 4), ("rehabilitation", 8)])
        } else {
            "acute"
        };
        if first == "acute" && complex && length > 6 && self.rng.random_bool(0.2) {
            let a = admitted + Duration::days(self.rng.random_range(1..length / 2));
            let b = a + Duration::days(self.rng.random_range(1..=(length / 3).max(1)));
            let b = b.min(discharged);
            let _ = writeln!(buf(out, FileKind::WardStays), "{id},{spell},acute,{admitted},{a}");
            let _ = writeln!(buf(out, FileKind::WardStays), "{id},{spell},picu,{a},{b}");
            let _ = writeln!(buf(out, FileKind::WardStays), "{id},{spell},acute,{b},{end}");
        } else {
            let _ = writeln!(buf(out, FileKind::WardStays), "{id},{spell},{first},{admitted},{end}");
        }
        if complex && self.rng.random_bool(0.5) {
            let section = self.pick(&[("s2", 55), ("s3", 40), ("s37", 5)]);
            let limit = if section == "s2" { 28 } else { 180 };
            let dend = admitted + Duration::days(length.min(limit));
            let dend = if dend > self.end {
                String::new()
            } else {
                dend.to_string()
            };
            let _ = writeln!(buf(out, FileKind::Detentions), "{id},{section},{admitted},{dend}");
        }
        if !still_in {
            let d = discharged + Duration::days(self.rng.random_range(1..=7));
            if d <= self.end {
                self.contact(id, d, "cmht", 0.85, out);
            }
        }
        (!still_in).then_some(discharged)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_people_and_a_complex_minority_uses_most() {
        let s = Synth::new(7, NaiveDate::from_ymd_opt(2025, 12, 31).unwrap());
        let mut a: [String; 9] = Default::default();
        let mut b: [String; 9] = Default::default();
        for i in 0..2000 {
            s.write_person(i, &mut a);
            s.write_person(i, &mut b);
        }
        assert_eq!(a, b);
        let rows: usize = a.iter().skip(1).map(|f| f.lines().count()).sum();
        let per_person = rows as f64 / 2000.0;
        assert!((35.0..70.0).contains(&per_person), "{per_person} rows per person");
        assert!(a[0].lines().all(|l| l.contains(",999") && l.contains("ZZ99")));
    }
}
