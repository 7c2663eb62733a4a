"""Pure analysers: they judge what a probe observed. No network, no clock unless passed in."""
