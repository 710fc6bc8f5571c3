"""The interview as data: questions, rules, advice and texts (installed as ``crampbot_content``)."""
