"""SMS senders behind `services.ports.SmsSender`."""
