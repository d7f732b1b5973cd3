"""A local stand-in for the three campaign sources: seeded data, real HTTP APIs that fight back, drop files."""

from simulator.demo import DemoCampaign, connection_env, demo_campaign
from simulator.generator import Dataset, generate
from simulator.server import Auth, Faults, SimulatorServer

__all__ = [
    "Auth", "Dataset", "DemoCampaign", "Faults", "SimulatorServer", "connection_env", "demo_campaign", "generate",
]
