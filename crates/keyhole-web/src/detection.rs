//! Bridge to the core's detection engine: core findings → [`FindingView`]s with evidence resolved
//! to event indices.

use crate::model::FindingView;
use keyhole_core::event::Event;

/// Run every rule on the events (time-ordered). The second value explains an empty result that
/// is not a clean bill of health.
pub fn run(events: &[Event]) -> (Vec<FindingView>, Option<String>) {
    let _ = events;
    (
        Vec::new(),
        Some("The detection engine (keyhole_core::detect) is not part of this build yet.".into()),
    )
}
