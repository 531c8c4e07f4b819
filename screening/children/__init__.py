"""Children, their guardians and group membership; browsing institution → group → child."""
