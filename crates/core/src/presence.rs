//! Presence rules, pure. Online means at least one live connection; `lastSeen` is when
//! the last one closed. What subscribers are told is the *announced* state, which changes
//! only when the live state, looked at after the debounce window, differs from it: so a
//! disconnect followed by a quick reconnect announces nothing, and a burst of changes
//! announces once.

use serde::{Deserialize, Serialize};

use crate::ids::UserId;
use crate::protocol::PresenceView;

/// The default debounce window.
pub const DEFAULT_DEBOUNCE_MS: u64 = 3_000;

/// A user's announced presence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PresenceState {
    /// Whether the user was last announced online.
    pub online: bool,
    /// When the user's last connection closed (ms), if it ever did.
    pub last_seen: Option<u64>,
}

impl PresenceState {
    /// How clients see it.
    pub fn view(state: Option<&Self>, user: UserId) -> PresenceView {
        PresenceView { user, online: state.is_some_and(|s| s.online), last_seen: state.and_then(|s| s.last_seen) }
    }
}

/// What to announce, if anything, once the window after the latest change (at
/// `changed_at` ms) has passed and the user has `live` connections.
pub fn decide(announced: Option<&PresenceState>, live: usize, changed_at: u64) -> Option<PresenceState> {
    let online = live > 0;
    match announced {
        Some(a) if a.online == online => None,
        None if !online => None,
        Some(a) if online => Some(PresenceState { online, last_seen: a.last_seen }),
        None => Some(PresenceState { online, last_seen: None }),
        Some(_) => Some(PresenceState { online, last_seen: Some(changed_at) }),
    }
}

/// When a change at `changed_at` may be looked at: the end of its debounce window.
pub fn settles_at(changed_at: u64, window_ms: u64) -> u64 {
    changed_at.saturating_add(window_ms)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ON: PresenceState = PresenceState { online: true, last_seen: Some(5) };
    const OFF: PresenceState = PresenceState { online: false, last_seen: Some(5) };

    #[test]
    fn a_first_connection_announces_online() {
        assert_eq!(decide(None, 1, 100), Some(PresenceState { online: true, last_seen: None }));
        assert_eq!(decide(Some(&OFF), 2, 100), Some(PresenceState { online: true, last_seen: Some(5) }));
    }

    #[test]
    fn the_last_connection_closing_announces_offline_with_its_time() {
        assert_eq!(decide(Some(&ON), 0, 100), Some(PresenceState { online: false, last_seen: Some(100) }));
    }

    #[test]
    fn a_disconnect_and_reconnect_within_the_window_announces_nothing() {
        // Online was announced; by the end of the window the user is connected again.
        assert_eq!(decide(Some(&ON), 1, 100), None);
        // Offline was announced; a connect and disconnect within the window changes nothing.
        assert_eq!(decide(Some(&OFF), 0, 100), None);
        // Never announced and not online now: nothing to say.
        assert_eq!(decide(None, 0, 100), None);
    }

    #[test]
    fn the_window_ends_after_the_latest_change() {
        assert_eq!(settles_at(1_000, DEFAULT_DEBOUNCE_MS), 4_000);
        assert_eq!(settles_at(u64::MAX, 1), u64::MAX);
    }

    #[test]
    fn a_never_seen_user_is_offline_with_null_last_seen() {
        let v = PresenceState::view(None, UserId::parse("x").expect("valid"));
        assert!(!v.online);
        assert_eq!(v.last_seen, None);
    }
}
