"""The national customer registry (R-9, R-26): every province's customers, one national customer per certificate."""

from hq.registry.commands import RegistryCommands, Touched

__all__ = ["RegistryCommands", "Touched"]
