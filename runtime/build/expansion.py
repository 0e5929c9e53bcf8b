"""Expanding instruction words against a stage's environment, as BuildKit's dispatcher does."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from runtime.build.errors import ExpansionError, StepError
from runtime.build.lexer import LexerOptions, process_word, process_words


@dataclass(frozen=True)
class Expander:
    """Expands words with one environment and the Dockerfile's escape character."""

    env: Mapping[str, str]
    escape: str = "\\"

    def word(self, text: str) -> str:
        """One word, spaces kept (`process_word`); raises StepError."""
        try:
            return process_word(text, self.env, LexerOptions(escape=self.escape)).result
        except ExpansionError as error:
            raise StepError(str(error)) from None

    def words(self, text: str) -> list[str]:
        """Expanded and split into words (EXPOSE); raises StepError."""
        try:
            return process_words(text, self.env, LexerOptions(escape=self.escape))
        except ExpansionError as error:
            raise StepError(str(error)) from None

    def document(self, text: str) -> str:
        """A COPY here-document body: variables and backslashes only, quotes kept."""
        try:
            return process_word(text, self.env, LexerOptions(skip_quotes=True)).result
        except ExpansionError as error:
            raise StepError(str(error)) from None

    def display(self, source: str, keep_unset: bool) -> str:
        """A step's name as BuildKit shows it: variables filled in, keyword upper-cased.

        With `keep_unset` (RUN), quotes stay and unset variables stay as written.
        """
        options = LexerOptions(escape=self.escape, raw_quotes=keep_unset, skip_unset=keep_unset)
        try:
            text = process_word(source, self.env, options).result
        except ExpansionError:
            text = source
        keyword, space, rest = text.partition(" ")
        return keyword.upper() + space + rest
