"""StarTier: the frame (page config, shared sidebar, navigation) around the chosen page."""

from ui.frame import frame

frame().run()
