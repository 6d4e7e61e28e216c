"""advgui/cli"""
