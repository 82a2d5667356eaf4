"""The gateway: owns every customer channel in front of Rasa.

It binds each conversation to a server-issued secret, routes customer
messages to the bot or, while a person has the conversation, to the agents'
inbox, and delivers agents' replies into the customer's own chat.
"""
