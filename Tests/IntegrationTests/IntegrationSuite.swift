import Testing

/// Parent of every integration suite: each test starts its own stack, one at a time, so the
/// timing-sensitive fault tests never compete for the two cores.
@Suite(.serialized) enum IntegrationSuite {}
