//! Unit conversions: `convert_angle`, `convert_energy`, `convert_force`, `convert_length`,
//! `convert_mass`, `convert_speed`, `convert_temperature`, `convert_volume`
//! (convert-*-function.md). The unit names are the documented ones (UnitsNet's); a value is
//! converted through the SI unit, an unknown unit gives null.

use super::{def, Env, FnDef, Imp::Eval, Ret::T};
use crate::value::{Type, Value};

pub(crate) static FUNCTIONS: &[FnDef] = &[
    def!("convert_angle", ("value, from, to", 3, 3) -> T(Type::Real), "An angle converted between units (Degree, Radian, Arcminute, Arcsecond, Gradian, NatoMil, Revolution, Tilt, …).", Eval(convert_angle), [("convert_angle(1.2, 'Degree', 'Arcminute')", "72")]),
    def!("convert_length", ("value, from, to", 3, 3) -> T(Type::Real), "A length converted between units (Meter, Foot, Inch, Mile, NauticalMile, LightYear, Parsec, …).", Eval(convert_length), [("convert_length(1500, 'Meter', 'Kilometer')", "1.5")]),
    def!("convert_speed", ("value, from, to", 3, 3) -> T(Type::Real), "A speed converted between units (MeterPerSecond, KilometerPerHour, MilePerHour, Knot, …).", Eval(convert_speed), [("convert_speed(2, 'KilometerPerSecond', 'MeterPerSecond')", "2000")]),
    def!("convert_volume", ("value, from, to", 3, 3) -> T(Type::Real), "A volume converted between units (CubicMeter, Liter, UsGallon, ImperialPint, OilBarrel, AcreFoot, …).", Eval(convert_volume), [("convert_volume(1500, 'Liter', 'CubicMeter')", "1.5")]),
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

/// Degrees per unit (`Tilt`, the sine of the angle, is not linear: see `convert_angle`).
const ANGLE: &[(&str, f64)] = &[
    ("Arcminute", 1.0 / 60.0),
    ("Arcsecond", 1.0 / 3_600.0),
    ("Centiradian", 1e-2 * RADIAN),
    ("Deciradian", 1e-1 * RADIAN),
    ("Degree", 1.0),
    ("Gradian", 0.9),
    ("Microdegree", 1e-6),
    ("Microradian", 1e-6 * RADIAN),
    ("Millidegree", 1e-3),
    ("Milliradian", 1e-3 * RADIAN),
    ("Nanodegree", 1e-9),
    ("Nanoradian", 1e-9 * RADIAN),
    ("NatoMil", 360.0 / 6_400.0),
    ("Radian", RADIAN),
    ("Revolution", 360.0),
];

const RADIAN: f64 = 180.0 / std::f64::consts::PI;

const LIGHT_YEAR: f64 = 9.46073047258e15;
const PARSEC: f64 = 3.08567758128e16;

/// Meters per unit.
const LENGTH: &[(&str, f64)] = &[
    ("Angstrom", 1e-10),
    ("AstronomicalUnit", 1.495_978_707e11),
    ("Centimeter", 1e-2),
    ("Chain", 20.1168),
    ("DataMile", 1_828.8),
    ("Decameter", 10.0),
    ("Decimeter", 0.1),
    ("DtpPica", 1.0 / 236.220_472_441),
    ("DtpPoint", 1.0 / 2_834.645_669_29),
    ("Fathom", 1.8288),
    ("Foot", FOOT),
    ("Hand", 0.1016),
    ("Hectometer", 100.0),
    ("Inch", 0.0254),
    ("KilolightYear", LIGHT_YEAR * 1e3),
    ("Kilometer", 1e3),
    ("Kiloparsec", PARSEC * 1e3),
    ("LightYear", LIGHT_YEAR),
    ("MegalightYear", LIGHT_YEAR * 1e6),
    ("Megaparsec", PARSEC * 1e6),
    ("Meter", 1.0),
    ("Microinch", 2.54e-8),
    ("Micrometer", 1e-6),
    ("Mil", 2.54e-5),
    ("Mile", 1_609.34),
    ("Millimeter", 1e-3),
    ("Nanometer", 1e-9),
    ("NauticalMile", 1_852.0),
    ("Parsec", PARSEC),
    ("PrinterPica", 1.0 / 237.106_301_584),
    ("PrinterPoint", 0.0254 / 72.27),
    ("Shackle", 27.432),
    ("SolarRadius", 6.955_1e8),
    ("Twip", 1.0 / 56_692.913_385_826),
    ("UsSurveyFoot", US_SURVEY_FOOT),
    ("Yard", 0.9144),
];

const FOOT: f64 = 0.3048;
const US_SURVEY_FOOT: f64 = 1_200.0 / 3_937.0;

/// Meters per second per unit: a length unit per second, minute or hour.
const SPEED: &[(&str, f64)] = &[
    ("CentimeterPerHour", 1e-2 / 3_600.0),
    ("CentimeterPerMinute", 1e-2 / 60.0),
    ("CentimeterPerSecond", 1e-2),
    ("DecimeterPerMinute", 0.1 / 60.0),
    ("DecimeterPerSecond", 0.1),
    ("FootPerHour", FOOT / 3_600.0),
    ("FootPerMinute", FOOT / 60.0),
    ("FootPerSecond", FOOT),
    ("InchPerHour", 0.0254 / 3_600.0),
    ("InchPerMinute", 0.0254 / 60.0),
    ("InchPerSecond", 0.0254),
    ("KilometerPerHour", 1e3 / 3_600.0),
    ("KilometerPerMinute", 1e3 / 60.0),
    ("KilometerPerSecond", 1e3),
    ("Knot", 0.514_444),
    ("MeterPerHour", 1.0 / 3_600.0),
    ("MeterPerMinute", 1.0 / 60.0),
    ("MeterPerSecond", 1.0),
    ("MicrometerPerMinute", 1e-6 / 60.0),
    ("MicrometerPerSecond", 1e-6),
    ("MilePerHour", 0.44704),
    ("MillimeterPerHour", 1e-3 / 3_600.0),
    ("MillimeterPerMinute", 1e-3 / 60.0),
    ("MillimeterPerSecond", 1e-3),
    ("NanometerPerMinute", 1e-9 / 60.0),
    ("NanometerPerSecond", 1e-9),
    ("UsSurveyFootPerHour", US_SURVEY_FOOT / 3_600.0),
    ("UsSurveyFootPerMinute", US_SURVEY_FOOT / 60.0),
    ("UsSurveyFootPerSecond", US_SURVEY_FOOT),
    ("YardPerHour", 0.9144 / 3_600.0),
    ("YardPerMinute", 0.9144 / 60.0),
    ("YardPerSecond", 0.9144),
];

const CUBIC_FOOT: f64 = 0.028_316_8;
const US_GALLON: f64 = 0.003_785_41;
const IMPERIAL_GALLON: f64 = 0.004_546_09;

/// Cubic meters per unit.
const VOLUME: &[(&str, f64)] = &[
    ("AcreFoot", 1.0 / 0.000_810_714),
    ("AuTablespoon", 2e-5),
    ("BoardFoot", 2.359_737_2e-3),
    ("Centiliter", 1e-5),
    ("CubicCentimeter", 1e-6),
    ("CubicDecimeter", 1e-3),
    ("CubicFoot", CUBIC_FOOT),
    ("CubicHectometer", 1e6),
    ("CubicInch", 1.638_7e-5),
    ("CubicKilometer", 1e9),
    ("CubicMeter", 1.0),
    ("CubicMicrometer", 1e-18),
    ("CubicMile", 4.168_181_825_440_58e9),
    ("CubicMillimeter", 1e-9),
    ("CubicYard", 0.764_554_858),
    ("Decaliter", 1e-2),
    ("DecausGallon", US_GALLON * 10.0),
    ("Deciliter", 1e-4),
    ("DeciusGallon", US_GALLON * 0.1),
    ("HectocubicFoot", CUBIC_FOOT * 100.0),
    ("HectocubicMeter", 100.0),
    ("Hectoliter", 0.1),
    ("HectousGallon", US_GALLON * 100.0),
    ("ImperialBeerBarrel", 0.163_659_24),
    ("ImperialGallon", IMPERIAL_GALLON),
    ("ImperialOunce", 2.841_306_25e-5),
    ("ImperialPint", 5.682_612_5e-4),
    ("KilocubicFoot", CUBIC_FOOT * 1e3),
    ("KilocubicMeter", 1e3),
    ("KiloimperialGallon", IMPERIAL_GALLON * 1e3),
    ("Kiloliter", 1.0),
    ("KilousGallon", US_GALLON * 1e3),
    ("Liter", 1e-3),
    ("MegacubicFoot", CUBIC_FOOT * 1e6),
    ("MegaimperialGallon", IMPERIAL_GALLON * 1e6),
    ("Megaliter", 1e3),
    ("MegausGallon", US_GALLON * 1e6),
    ("MetricCup", 2.5e-4),
    ("MetricTeaspoon", 5e-6),
    ("Microliter", 1e-9),
    ("Milliliter", 1e-6),
    ("OilBarrel", 0.158_987_294_928),
    ("UkTablespoon", 1.5e-5),
    ("UsBeerBarrel", 0.117_347_765_8),
    ("UsCustomaryCup", 2.365_882_365e-4),
    ("UsGallon", US_GALLON),
    ("UsLegalCup", 2.4e-4),
    ("UsOunce", 2.957_352_956_25e-5),
    ("UsPint", 4.731_764_73e-4),
    ("UsQuart", 9.463_529_46e-4),
    ("UsTablespoon", 1.478_676_478_125e-5),
    ("UsTeaspoon", 4.928_921_593_75e-6),
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

fn convert_length(a: &[Value], _: &Env) -> Value {
    linear(a, LENGTH)
}

fn convert_speed(a: &[Value], _: &Env) -> Value {
    linear(a, SPEED)
}

fn convert_volume(a: &[Value], _: &Env) -> Value {
    linear(a, VOLUME)
}

/// Through degrees; `Tilt` is the angle's sine (UnitsNet's definition).
fn convert_angle(a: &[Value], _: &Env) -> Value {
    let (from, to) = (a[1].to_kql_string(), a[2].to_kql_string());
    let Some(x) = a[0].as_f64() else {
        return Value::Null;
    };
    if from != "Tilt" && to != "Tilt" {
        return linear(a, ANGLE);
    }
    let degrees = if from == "Tilt" {
        Some(libm::asin(x).to_degrees())
    } else {
        factor(ANGLE, &a[1]).map(|f| x * f)
    };
    let out = match (degrees, to.as_str()) {
        (Some(d), "Tilt") => Some(libm::sin(d.to_radians())),
        (Some(d), _) => factor(ANGLE, &a[2]).map(|f| d / f),
        (None, _) => None,
    };
    out.map_or(Value::Null, Value::Real)
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
