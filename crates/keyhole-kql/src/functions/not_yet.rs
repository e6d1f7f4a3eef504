//! Functions Kusto has that Keyhole does not implement yet: calling one says so (instead of a
//! "did you mean" to itself), and the list shrinks as families grow.

use super::{def, FnDef, Imp::NotYet, Ret::T};
use crate::value::Type;

pub(crate) static FUNCTIONS: &[FnDef] = &[
    def!("geo_point_to_s2cell", ("longitude, latitude [, level]", 2, 3) -> T(Type::String), "The S2 cell of a point.", NotYet),
    def!("geo_info_from_ip_address", ("ip", 1, 1) -> T(Type::Dynamic), "Geolocation of an IP address.", NotYet),
    def!("current_principal", ("", 0, 0) -> T(Type::String), "The principal running the query.", NotYet),
    def!("current_cluster_endpoint", ("", 0, 0) -> T(Type::String), "The cluster's endpoint.", NotYet),
];
