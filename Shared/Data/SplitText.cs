namespace Distill.Shared.Data;

/// <summary>One document (or one part of one) and the split it belongs to.</summary>
public readonly record struct SplitText(CorpusSplit Split, string Text);
