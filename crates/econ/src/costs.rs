//! Unit-cost tables: what one unit of each resource costs, with where the figure comes from.
//!
//! A table is data (CSV with the header in [`HEADER`]); cocare ships a default UK table
//! (`data/unit-costs-uk.csv`, sources in each row) that people copy, edit and inflate to another
//! price year with a cost inflation index.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

/// The header of a unit-cost table file, in this order.
pub const HEADER: [&str; 11] = [
    "resource",
    "unit",
    "category",
    "sector",
    "cost",
    "currency",
    "price_year",
    "source",
    "edition",
    "table",
    "note",
];

const DEFAULT_UK: &str = include_str!("../data/unit-costs-uk.csv");
const INFLATION_UK: &str = include_str!("../data/inflation-uk.csv");
const DEMO_PROXIES: &str = include_str!("../data/demo-proxies.csv");

macro_rules! keyed {
    ($(#[$m:meta])* $name:ident { $($variant:ident => $key:literal, $label:literal;)+ }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant,)+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant,)+];

            pub fn key(self) -> &'static str {
                match self { $($name::$variant => $key,)+ }
            }

            pub fn label(self) -> &'static str {
                match self { $($name::$variant => $label,)+ }
            }

            pub fn parse(s: &str) -> Option<$name> {
                let s = s.trim();
                $name::ALL.iter().copied().find(|v| v.key().eq_ignore_ascii_case(s))
            }

            pub fn index(self) -> usize {
                $name::ALL.iter().position(|v| *v == self).unwrap_or(0)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.key())
            }
        }
    };
}

keyed!(
    /// The three kinds of cost an economic evaluation separates.
    Category {
        DirectMedical => "direct_medical", "Direct medical";
        DirectNonMedical => "direct_non_medical", "Direct non-medical";
        Indirect => "indirect", "Indirect (productivity and informal care)";
    }
);

keyed!(
    /// Who bears a cost.
    Sector {
        NhsMentalHealth => "nhs_mental_health", "NHS mental health";
        NhsAcute => "nhs_acute", "NHS acute";
        PrimaryCare => "primary_care", "Primary care";
        SocialCare => "social_care", "Social care";
        Housing => "housing", "Housing";
        CriminalJustice => "criminal_justice", "Criminal justice";
        Voluntary => "voluntary", "Voluntary sector";
        Society => "society", "Society (patients, carers, employers)";
    }
);

keyed!(
    /// Whose costs count (NICE reference-case conventions).
    Perspective {
        NhsPss => "nhs_pss", "NHS and personal social services";
        PublicSector => "public_sector", "Public sector";
        Societal => "societal", "Societal";
    }
);

impl Perspective {
    /// Whether a sector's costs count from this perspective.
    pub fn includes(self, sector: Sector) -> bool {
        use Sector::*;
        let nhs_pss = matches!(sector, NhsMentalHealth | NhsAcute | PrimaryCare | SocialCare);
        match self {
            Perspective::NhsPss => nhs_pss,
            Perspective::PublicSector => nhs_pss || matches!(sector, Housing | CriminalJustice),
            Perspective::Societal => true,
        }
    }
}

/// One row of a unit-cost table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UnitCost {
    pub resource: String,
    pub unit: String,
    pub category: Category,
    pub sector: Sector,
    pub cost: f64,
    pub currency: String,
    pub price_year: i32,
    pub source: String,
    pub edition: String,
    pub table: String,
    pub note: String,
}

/// A unit-cost table: one cost per resource, in one currency.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UnitCostTable {
    pub entries: Vec<UnitCost>,
}

/// A problem with a table file, and where it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TableProblem {
    pub line: u64,
    pub field: String,
    pub reason: String,
}

impl fmt::Display for TableProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.field.is_empty() {
            write!(f, "line {}: {}", self.line, self.reason)
        } else {
            write!(f, "line {}, field {}: {}", self.line, self.field, self.reason)
        }
    }
}

fn problem(line: u64, field: &str, reason: impl Into<String>) -> TableProblem {
    TableProblem {
        line,
        field: field.to_string(),
        reason: reason.into(),
    }
}

/// Reads a CSV header (names trimmed, case ignored) and where each column is: every name must be
/// one of `allowed` and given once, and every one of `required` present. `hint` follows the
/// "required column missing" message.
pub(crate) fn read_header(
    reader: &mut csv::Reader<&[u8]>,
    allowed: &[&str],
    required: &[&str],
    hint: &str,
) -> Result<Header, Vec<TableProblem>> {
    let header: Vec<String> = match reader.headers() {
        Ok(h) => h.iter().map(|s| s.trim().to_ascii_lowercase()).collect(),
        Err(e) => return Err(vec![problem(1, "", format!("the header could not be read: {e}"))]),
    };
    let mut problems = Vec::new();
    let mut columns = BTreeMap::new();
    for (i, name) in header.iter().enumerate() {
        if !allowed.contains(&name.as_str()) {
            problems.push(problem(1, name, "unknown column"));
        } else if columns.insert(name.clone(), i).is_some() {
            problems.push(problem(1, name, "column given twice"));
        }
    }
    for name in required {
        if !columns.contains_key(*name) {
            problems.push(problem(1, name, format!("required column missing{hint}")));
        }
    }
    if problems.is_empty() {
        Ok(Header {
            len: header.len(),
            columns,
        })
    } else {
        Err(problems)
    }
}

/// A CSV header read by [`read_header`]: how many fields a line has, and where each column is.
pub(crate) struct Header {
    pub len: usize,
    pub columns: BTreeMap<String, usize>,
}

/// A resource key: lower-case letters, digits and underscores, starting with a letter.
pub fn valid_key(key: &str) -> bool {
    let mut chars = key.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_lowercase())
        && key.len() <= 64
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

impl UnitCostTable {
    /// The default UK table that ships with cocare.
    pub fn default_uk() -> UnitCostTable {
        // The shipped file is checked by a test; an unreadable one gives an empty table.
        UnitCostTable::parse_csv(DEFAULT_UK).unwrap_or(UnitCostTable { entries: Vec::new() })
    }

    /// The demo organisation's table: the default, plus national all-service averages standing
    /// in for the NHS mental health figures the default leaves out, each marked as a proxy.
    pub fn demo_with_proxies() -> UnitCostTable {
        let mut table = UnitCostTable::default_uk();
        if let Ok(proxies) = UnitCostTable::parse_csv(DEMO_PROXIES) {
            for p in proxies.entries {
                if table.get(&p.resource).is_none() {
                    table.entries.push(p);
                }
            }
        }
        table
    }

    /// The default table as its file.
    pub fn default_uk_csv() -> &'static str {
        DEFAULT_UK
    }

    /// Reads a table, checking every row; all problems are returned together.
    pub fn parse_csv(text: &str) -> Result<UnitCostTable, Vec<TableProblem>> {
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(true)
            .flexible(true)
            .from_reader(text.as_bytes());
        // The first eight columns are required; edition, table and note may be left out.
        let Header { len: fields, columns } =
            read_header(&mut reader, &HEADER, HEADER.get(..8).unwrap_or(&HEADER), "")?;
        let mut problems = Vec::new();
        let mut entries: Vec<UnitCost> = Vec::new();
        let mut seen: BTreeMap<String, u64> = BTreeMap::new();
        for (i, record) in reader.records().enumerate() {
            let line = i as u64 + 2;
            let record = match record {
                Ok(r) => r,
                Err(e) => {
                    problems.push(problem(line, "", format!("not a valid CSV line: {e}")));
                    continue;
                }
            };
            if record.len() != fields {
                problems.push(problem(
                    line,
                    "",
                    format!("{} fields where the header has {fields}", record.len()),
                ));
                continue;
            }
            let get = |name: &str| {
                columns
                    .get(name)
                    .and_then(|&i| record.get(i))
                    .map(str::trim)
                    .unwrap_or("")
            };
            let before = problems.len();
            let resource = get("resource").to_string();
            if !valid_key(&resource) {
                problems.push(problem(
                    line,
                    "resource",
                    format!("'{resource}' is not a resource key (lower-case letters, digits, _)"),
                ));
            } else if let Some(first) = seen.insert(resource.clone(), line) {
                problems.push(problem(
                    line,
                    "resource",
                    format!("'{resource}' is already costed on line {first}"),
                ));
            }
            let category = Category::parse(get("category"));
            if category.is_none() {
                problems.push(problem(
                    line,
                    "category",
                    format!(
                        "'{}' is not one of {}",
                        get("category"),
                        Category::ALL.iter().map(|c| c.key()).collect::<Vec<_>>().join(", ")
                    ),
                ));
            }
            let sector = Sector::parse(get("sector"));
            if sector.is_none() {
                problems.push(problem(
                    line,
                    "sector",
                    format!(
                        "'{}' is not one of {}",
                        get("sector"),
                        Sector::ALL.iter().map(|c| c.key()).collect::<Vec<_>>().join(", ")
                    ),
                ));
            }
            let cost = match get("cost").parse::<f64>() {
                Ok(c) if c.is_finite() && c >= 0.0 => Some(c),
                Ok(c) if c.is_finite() => {
                    problems.push(problem(
                        line,
                        "cost",
                        format!("{c} is negative: a unit cost is 0 or more"),
                    ));
                    None
                }
                _ => {
                    problems.push(problem(line, "cost", format!("'{}' is not a number", get("cost"))));
                    None
                }
            };
            let price_year = match get("price_year").parse::<i32>() {
                Ok(y) if (1950..=2100).contains(&y) => Some(y),
                _ => {
                    problems.push(problem(
                        line,
                        "price_year",
                        format!("'{}' is not a four-digit year", get("price_year")),
                    ));
                    None
                }
            };
            for required in ["unit", "currency", "source"] {
                if get(required).is_empty() {
                    problems.push(problem(
                        line,
                        required,
                        "empty; every cost needs its unit, currency and source",
                    ));
                }
            }
            if problems.len() != before {
                continue;
            }
            if let (Some(category), Some(sector), Some(cost), Some(price_year)) = (category, sector, cost, price_year) {
                entries.push(UnitCost {
                    resource,
                    unit: get("unit").to_string(),
                    category,
                    sector,
                    cost,
                    currency: get("currency").to_ascii_uppercase(),
                    price_year,
                    source: get("source").to_string(),
                    edition: get("edition").to_string(),
                    table: get("table").to_string(),
                    note: get("note").to_string(),
                });
            }
        }
        if let Some(first) = entries.first() {
            for (i, e) in entries.iter().enumerate() {
                if e.currency != first.currency {
                    problems.push(problem(
                        i as u64 + 2,
                        "currency",
                        format!("{} where the table's first row is in {}", e.currency, first.currency),
                    ));
                }
            }
        } else if problems.is_empty() {
            problems.push(problem(1, "", "the table has no rows"));
        }
        if problems.is_empty() {
            Ok(UnitCostTable { entries })
        } else {
            Err(problems)
        }
    }

    /// The table as CSV, in the same layout it is read from.
    pub fn to_csv(&self) -> String {
        let mut writer = csv::Writer::from_writer(Vec::new());
        let _ = writer.write_record(HEADER);
        for e in &self.entries {
            let _ = writer.write_record([
                e.resource.as_str(),
                e.unit.as_str(),
                e.category.key(),
                e.sector.key(),
                &format_cost(e.cost),
                e.currency.as_str(),
                &e.price_year.to_string(),
                e.source.as_str(),
                e.edition.as_str(),
                e.table.as_str(),
                e.note.as_str(),
            ]);
        }
        String::from_utf8(writer.into_inner().unwrap_or_default()).unwrap_or_default()
    }

    pub fn get(&self, resource: &str) -> Option<&UnitCost> {
        self.entries.iter().find(|e| e.resource == resource)
    }

    pub fn currency(&self) -> &str {
        self.entries.first().map_or("GBP", |e| e.currency.as_str())
    }

    /// The price years the table's figures are in (usually one after inflation).
    pub fn price_years(&self) -> Vec<i32> {
        let mut years: Vec<i32> = self.entries.iter().map(|e| e.price_year).collect();
        years.sort_unstable();
        years.dedup();
        years
    }

    /// Every figure moved to `year`'s prices with the index; the note records the change.
    pub fn inflate(&self, index: &InflationIndex, year: i32) -> Result<UnitCostTable, String> {
        let to = index
            .value(year)
            .ok_or_else(|| format!("the inflation index has no value for {year}"))?;
        let mut entries = Vec::with_capacity(self.entries.len());
        for e in &self.entries {
            let from = index.value(e.price_year).ok_or_else(|| {
                format!(
                    "the inflation index has no value for {} (the price year of {})",
                    e.price_year, e.resource
                )
            })?;
            let mut moved = e.clone();
            if e.price_year != year {
                moved.cost = e.cost * to / from;
                moved.note = format!(
                    "{}{}inflated from {} prices ({}) with index {} → {}",
                    e.note,
                    if e.note.is_empty() { "" } else { "; " },
                    e.price_year,
                    format_cost(e.cost),
                    format_cost(from),
                    format_cost(to)
                );
                moved.price_year = year;
            }
            entries.push(moved);
        }
        Ok(UnitCostTable { entries })
    }
}

/// A number as written in a table: up to 4 decimals, no trailing zeros beyond 2.
pub fn format_cost(v: f64) -> String {
    let s = format!("{v:.4}");
    let trimmed = s.trim_end_matches('0');
    match trimmed.split_once('.') {
        Some((i, d)) if d.len() < 2 => format!("{i}.{d:0<2}"),
        _ => trimmed.to_string(),
    }
}

/// A cost inflation index: one value per price year.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InflationIndex {
    pub name: String,
    pub values: BTreeMap<i32, f64>,
}

impl InflationIndex {
    /// The NHS Cost Inflation Index that ships with cocare.
    pub fn uk() -> InflationIndex {
        InflationIndex::parse_csv("NHS Cost Inflation Index (pay and prices)", INFLATION_UK).unwrap_or(InflationIndex {
            name: String::new(),
            values: BTreeMap::new(),
        })
    }

    /// Reads `year,index[,source]` lines.
    pub fn parse_csv(name: &str, text: &str) -> Result<InflationIndex, Vec<TableProblem>> {
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(true)
            .flexible(true)
            .from_reader(text.as_bytes());
        let mut values = BTreeMap::new();
        let mut problems = Vec::new();
        for (i, record) in reader.records().enumerate() {
            let line = i as u64 + 2;
            let Ok(record) = record else {
                problems.push(problem(line, "", "not a valid CSV line"));
                continue;
            };
            let year = record.get(0).map(str::trim).and_then(|y| y.parse::<i32>().ok());
            let value = record.get(1).map(str::trim).and_then(|v| v.parse::<f64>().ok());
            match (year, value) {
                (Some(y), Some(v)) if v.is_finite() && v > 0.0 => {
                    if values.insert(y, v).is_some() {
                        problems.push(problem(line, "year", format!("{y} is given twice")));
                    }
                }
                (None, _) => problems.push(problem(line, "year", "not a year")),
                _ => problems.push(problem(line, "index", "not a positive number")),
            }
        }
        if problems.is_empty() {
            Ok(InflationIndex {
                name: name.to_string(),
                values,
            })
        } else {
            Err(problems)
        }
    }

    pub fn value(&self, year: i32) -> Option<f64> {
        self.values.get(&year).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "resource,unit,category,sector,cost,currency,price_year,source\n\
        inpatient_acute_bed_day,bed day,direct_medical,nhs_mental_health,500,GBP,2023,Example source\n\
        police_contact,incident,direct_non_medical,criminal_justice,100.5,GBP,2022,Example source\n";

    #[test]
    fn reads_a_table_and_writes_it_back() {
        let t = UnitCostTable::parse_csv(GOOD).unwrap();
        assert_eq!(t.entries.len(), 2);
        assert_eq!(t.get("police_contact").unwrap().cost, 100.5);
        let again = UnitCostTable::parse_csv(&t.to_csv()).unwrap();
        assert_eq!(again, t);
    }

    #[test]
    fn names_every_bad_field_with_its_line() {
        let bad = "resource,unit,category,sector,cost,currency,price_year,source\n\
            ok_one,day,indirect,society,1,GBP,2023,S\n\
            Bad Key,day,indirect,society,-3,GBP,20x,S\n\
            ok_one,day,medical,nowhere,abc,GBP,2023,\n";
        let problems = UnitCostTable::parse_csv(bad).unwrap_err();
        let text: Vec<String> = problems.iter().map(|p| p.to_string()).collect();
        assert!(text.iter().any(|p| p.starts_with("line 3, field resource")), "{text:?}");
        assert!(
            text.iter()
                .any(|p| p.starts_with("line 3, field cost") && p.contains("negative"))
        );
        assert!(text.iter().any(|p| p.starts_with("line 3, field price_year")));
        assert!(
            text.iter()
                .any(|p| p.contains("line 4, field resource") && p.contains("line 2"))
        );
        assert!(text.iter().any(|p| p.starts_with("line 4, field category")));
        assert!(text.iter().any(|p| p.starts_with("line 4, field sector")));
        assert!(
            text.iter()
                .any(|p| p.starts_with("line 4, field cost") && p.contains("not a number"))
        );
        assert!(text.iter().any(|p| p.starts_with("line 4, field source")));
    }

    #[test]
    fn missing_columns_and_empty_tables_are_errors() {
        let p = UnitCostTable::parse_csv("resource,unit,cost\n").unwrap_err();
        assert!(p.iter().any(|p| p.field == "category" && p.reason.contains("missing")));
        let p = UnitCostTable::parse_csv("resource,unit,category,sector,cost,currency,price_year,source,colour\n")
            .unwrap_err();
        assert!(p.iter().any(|p| p.field == "colour"));
        let p =
            UnitCostTable::parse_csv("resource,unit,category,sector,cost,currency,price_year,source\n").unwrap_err();
        assert!(p.iter().any(|p| p.reason.contains("no rows")));
    }

    #[test]
    fn perspectives_nest() {
        for s in Sector::ALL {
            if Perspective::NhsPss.includes(*s) {
                assert!(Perspective::PublicSector.includes(*s));
            }
            if Perspective::PublicSector.includes(*s) {
                assert!(Perspective::Societal.includes(*s));
            }
        }
        assert!(!Perspective::NhsPss.includes(Sector::Housing));
        assert!(Perspective::PublicSector.includes(Sector::CriminalJustice));
        assert!(!Perspective::PublicSector.includes(Sector::Society));
    }

    #[test]
    fn inflation_moves_every_figure_and_says_so() {
        let t = UnitCostTable::parse_csv(GOOD).unwrap();
        let index = InflationIndex::parse_csv("test", "year,index\n2022,100\n2023,110\n2024,121\n").unwrap();
        let moved = t.inflate(&index, 2024).unwrap();
        let bed = moved.get("inpatient_acute_bed_day").unwrap();
        assert!((bed.cost - 550.0).abs() < 1e-9);
        assert_eq!(bed.price_year, 2024);
        assert!(bed.note.contains("inflated from 2023"));
        assert!((moved.get("police_contact").unwrap().cost - 121.605).abs() < 1e-9);
        assert!(t.inflate(&index, 2030).unwrap_err().contains("2030"));
    }

    #[test]
    fn the_default_table_reads_and_cites_every_figure() {
        let t = UnitCostTable::parse_csv(DEFAULT_UK).unwrap();
        assert!(!t.entries.is_empty());
        for e in &t.entries {
            assert!(
                !e.source.is_empty() && !e.table.is_empty(),
                "{} has no citation",
                e.resource
            );
            assert_eq!(e.currency, "GBP");
        }
        // Every resource of the contract is either costed or named as missing, with its sector.
        let missing = include_str!("../data/MISSING.md");
        for (resource, sector) in crate::resources::CONTRACT {
            match t.get(resource) {
                Some(e) => assert_eq!(e.sector, *sector, "{resource}"),
                None => assert!(
                    missing.contains(&format!("**{resource}**")),
                    "{resource} is neither costed nor missing"
                ),
            }
        }
        assert!(InflationIndex::uk().values.len() >= 5);
        let demo = UnitCostTable::demo_with_proxies();
        assert_eq!(demo.entries.len(), t.entries.len() + 6);
        assert!(
            demo.entries
                .iter()
                .skip(t.entries.len())
                .all(|e| e.note.contains("PROXY"))
        );
    }
}
