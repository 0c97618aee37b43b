"""The platform add-ons: one ComponentResource per chart, composed in order by PlatformAddons."""
