"""Capture as pure rules: cameras and their gate, tracks of sightings."""
