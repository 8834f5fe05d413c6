"""The one error type of the arithmetic core.

Every failure is a ``ShapeError``, a ``ValueError`` whose message names the broken constraint.
It may carry where it happened (``layer_index``, ``layer_name``) and a ``suggestion`` with the
nearest valid values ("use padding >= 1 or kernel_size <= 4").
"""

from __future__ import annotations


class ShapeError(ValueError):
    """A constraint of a layer (or of the input) is broken.

    ``str(err)`` is the full message; ``reason`` is the bare constraint, ``suggestion`` the fix.
    """

    def __init__(
        self,
        reason: str,
        *,
        suggestion: str | None = None,
        layer_index: int | None = None,
        layer_name: str | None = None,
        layer_type: str | None = None,
    ) -> None:
        self.reason = reason
        self.suggestion = suggestion
        self.layer_index = layer_index
        self.layer_name = layer_name
        self.layer_type = layer_type
        super().__init__(self._compose())

    def _compose(self) -> str:
        msg = self.reason
        if self.layer_index is not None:
            where = f"layer {self.layer_index}"
            if self.layer_name and self.layer_name != str(self.layer_index):
                where += f" '{self.layer_name}'"
            if self.layer_type:
                where += f" ({self.layer_type})"
            msg = f"{where}: {msg}"
        if self.suggestion:
            msg = f"{msg}; {self.suggestion}"
        return msg

    def pinned(self, index: int, name: str, layer_type: str) -> "ShapeError":
        """The same error, pinned to a layer of a network."""
        return ShapeError(
            self.reason,
            suggestion=self.suggestion,
            layer_index=index,
            layer_name=name,
            layer_type=layer_type,
        )
