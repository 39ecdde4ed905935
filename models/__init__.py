"""The domain of delegplan: scenario, policy, plan, loading, and the auditor. No solver here."""
