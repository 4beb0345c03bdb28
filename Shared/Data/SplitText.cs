namespace Distill.Shared.Data;

/// <summary>
/// One document, or one piece of one, and the split it belongs to. A document too long to hold at once comes as
/// several pieces in order; <see cref="EndsDocument"/> marks its last.
/// </summary>
public readonly record struct SplitText(CorpusSplit Split, string Text, bool EndsDocument = true);
