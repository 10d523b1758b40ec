"""Scripted demonstrations (`keyuan demo`, `keyuan demo month`) and the photos they use."""
