//! Unit conversions: `convert_energy`, `convert_force`, `convert_mass`, `convert_temperature`
//! (convert-*-function.md). The unit names are the documented ones (UnitsNet's); a value is
//! converted through the SI unit, an unknown unit gives null.

use super::{def, Env, FnDef, Imp::Eval, Ret::T};
use crate::value::{Type, Value};

pub(crate) static FUNCTIONS: &[FnDef] = &[
    def!("convert_energy", ("value, from, to", 3, 3) -> T(Type::Real), "An energy converted between units (Joule, KilowattHour, BritishThermalUnit, Calorie, ElectronVolt, …).", Eval(convert_energy), [("convert_energy(1, 'KilowattHour', 'Kilojoule')", "3600")]),
    def!("convert_force", ("value, from, to", 3, 3) -> T(Type::Real), "A force converted between units (Newton, Kilonewton, Dyn, KilogramForce, PoundForce, …).", Eval(convert_force), [("convert_force(1.2, 'Newton', 'Decanewton')", "0.12")]),
    def!("convert_mass", ("value, from, to", 3, 3) -> T(Type::Real), "A mass converted between units (Kilogram, Gram, Pound, Ounce, Tonne, Stone, …).", Eval(convert_mass), [("convert_mass(2, 'Pound', 'Ounce')", "32")]),
    def!("convert_temperature", ("value, from, to", 3, 3) -> T(Type::Real), "A temperature converted between scales (Kelvin, DegreeCelsius, DegreeFahrenheit, DegreeRankine, …).", Eval(convert_temperature), [("convert_temperature(10, 'DegreeCelsius', 'Kelvin')", "283.15")]),
];

const BTU: f64 = 1055.05585262;
const EV: f64 = 1.602176565e-19;
const THERM_EC: f64 = 1.05505585262e8;
const THERM_IMPERIAL: f64 = 1.05505585257348e8;
const THERM_US: f64 = 1.054804e8;

/// Joules per unit.
const ENERGY: &[(&str, f64)] = &[
    ("BritishThermalUnit", BTU),
    ("Calorie", 4.184),
    ("DecathermEc", 10.0 * THERM_EC),
    ("DecathermImperial", 10.0 * THERM_IMPERIAL),
    ("DecathermUs", 10.0 * THERM_US),
    ("ElectronVolt", EV),
    ("Erg", 1e-7),
    ("FootPound", 1.355817948),
    ("GigabritishThermalUnit", BTU * 1e9),
    ("GigaelectronVolt", EV * 1e9),
    ("Gigajoule", 1e9),
    ("GigawattDay", 86_400.0 * 1e9),
    ("GigawattHour", 3_600.0 * 1e9),
    ("HorsepowerHour", 2.6845195377e6),
    ("Joule", 1.0),
    ("KilobritishThermalUnit", BTU * 1e3),
    ("Kilocalorie", 4.184e3),
    ("KiloelectronVolt", EV * 1e3),
    ("Kilojoule", 1e3),
    ("KilowattDay", 86_400.0 * 1e3),
    ("KilowattHour", 3_600.0 * 1e3),
    ("MegabritishThermalUnit", BTU * 1e6),
    ("Megacalorie", 4.184e6),
    ("MegaelectronVolt", EV * 1e6),
    ("Megajoule", 1e6),
    ("MegawattDay", 86_400.0 * 1e6),
    ("MegawattHour", 3_600.0 * 1e6),
    ("Millijoule", 1e-3),
    ("TeraelectronVolt", EV * 1e12),
    ("TerawattDay", 86_400.0 * 1e12),
    ("TerawattHour", 3_600.0 * 1e12),
    ("ThermEc", THERM_EC),
    ("ThermImperial", THERM_IMPERIAL),
    ("ThermUs", THERM_US),
    ("WattDay", 86_400.0),
    ("WattHour", 3_600.0),
];

const POUND_FORCE: f64 = 4.4482216152605;

/// Newtons per unit.
const FORCE: &[(&str, f64)] = &[
    ("Decanewton", 10.0),
    ("Dyn", 1e-5),
    ("KilogramForce", 9.80665),
    ("Kilonewton", 1e3),
    ("KiloPond", 9.80665),
    ("KilopoundForce", POUND_FORCE * 1e3),
    ("Meganewton", 1e6),
    ("Micronewton", 1e-6),
    ("Millinewton", 1e-3),
    ("Newton", 1.0),
    ("OunceForce", POUND_FORCE / 16.0),
    ("Poundal", 0.138254954376),
    ("PoundForce", POUND_FORCE),
    ("ShortTonForce", POUND_FORCE * 2_000.0),
    ("TonneForce", 9.80665e3),
];

const POUND: f64 = 0.45359237;

/// Kilograms per unit.
const MASS: &[(&str, f64)] = &[
    ("Centigram", 1e-5),
    ("Decagram", 1e-2),
    ("Decigram", 1e-4),
    ("EarthMass", 5.9722e24),
    ("Grain", 6.479891e-5),
    ("Gram", 1e-3),
    ("Hectogram", 0.1),
    ("Kilogram", 1.0),
    ("Kilopound", POUND * 1e3),
    ("Kilotonne", 1e6),
    ("LongHundredweight", POUND * 112.0),
    ("LongTon", POUND * 2_240.0),
    ("Megapound", POUND * 1e6),
    ("Megatonne", 1e9),
    ("Microgram", 1e-9),
    ("Milligram", 1e-6),
    ("Nanogram", 1e-12),
    ("Ounce", POUND / 16.0),
    ("Pound", POUND),
    ("ShortHundredweight", POUND * 100.0),
    ("ShortTon", POUND * 2_000.0),
    ("Slug", 14.593_902_937_206_4),
    ("SolarMass", 1.98947e30),
    ("Stone", POUND * 14.0),
    ("Tonne", 1e3),
];

fn factor(table: &[(&str, f64)], unit: &Value) -> Option<f64> {
    let u = unit.to_kql_string();
    table.iter().find(|(n, _)| *n == u).map(|(_, f)| *f)
}

fn linear(a: &[Value], table: &[(&str, f64)]) -> Value {
    match (a[0].as_f64(), factor(table, &a[1]), factor(table, &a[2])) {
        (Some(x), Some(from), Some(to)) => Value::Real(x * from / to),
        _ => Value::Null,
    }
}

fn convert_energy(a: &[Value], _: &Env) -> Value {
    linear(a, ENERGY)
}

fn convert_force(a: &[Value], _: &Env) -> Value {
    linear(a, FORCE)
}

fn convert_mass(a: &[Value], _: &Env) -> Value {
    linear(a, MASS)
}

/// A temperature in a scale as kelvins, and back.
fn to_kelvin(unit: &str, x: f64) -> Option<f64> {
    Some(match unit {
        "Kelvin" => x,
        "DegreeCelsius" => x + 273.15,
        "MillidegreeCelsius" => x / 1e3 + 273.15,
        "DegreeDelisle" => 373.15 - x * 2.0 / 3.0,
        "DegreeFahrenheit" => (x + 459.67) * 5.0 / 9.0,
        "DegreeNewton" => x * 100.0 / 33.0 + 273.15,
        "DegreeRankine" => x * 5.0 / 9.0,
        "DegreeReaumur" => x * 5.0 / 4.0 + 273.15,
        "DegreeRoemer" => (x - 7.5) * 40.0 / 21.0 + 273.15,
        "SolarTemperature" => x * 5_778.0,
        _ => return None,
    })
}

fn from_kelvin(unit: &str, k: f64) -> Option<f64> {
    Some(match unit {
        "Kelvin" => k,
        "DegreeCelsius" => k - 273.15,
        "MillidegreeCelsius" => (k - 273.15) * 1e3,
        "DegreeDelisle" => (373.15 - k) * 3.0 / 2.0,
        "DegreeFahrenheit" => k * 9.0 / 5.0 - 459.67,
        "DegreeNewton" => (k - 273.15) * 33.0 / 100.0,
        "DegreeRankine" => k * 9.0 / 5.0,
        "DegreeReaumur" => (k - 273.15) * 4.0 / 5.0,
        "DegreeRoemer" => (k - 273.15) * 21.0 / 40.0 + 7.5,
        "SolarTemperature" => k / 5_778.0,
        _ => return None,
    })
}

fn convert_temperature(a: &[Value], _: &Env) -> Value {
    let (from, to) = (a[1].to_kql_string(), a[2].to_kql_string());
    match a[0].as_f64() {
        Some(x) if from == to && to_kelvin(&from, x).is_some() => Value::Real(x),
        Some(x) => to_kelvin(&from, x)
            .and_then(|k| from_kelvin(&to, k))
            .map_or(Value::Null, Value::Real),
        None => Value::Null,
    }
}
