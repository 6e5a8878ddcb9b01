//! steadyrtc: browser calls that stay up.
