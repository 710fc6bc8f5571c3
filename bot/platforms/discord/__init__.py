"""The Discord front end (discord.py 2.7): client, components and embed rendering."""
