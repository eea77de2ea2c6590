"""The simulation core: state, monthly processes, market and network. Imports no interface."""
