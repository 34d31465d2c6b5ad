"""/admin/shops/{shop_id}/console-users: who may sign in to the console."""
