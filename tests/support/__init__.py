"""What tests share: databases, running pages in AppTest, sign-in secrets, the demo's
stories, ground truth and hostile rows. Test modules import from here, never from each
other (tests/test_layers.py checks)."""
