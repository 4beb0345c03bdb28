namespace Distill.Shared.Data;

/// <summary>One chapter of one book; <see cref="Ordinal"/> counts chapters across all books of the corpus.</summary>
public sealed record Chapter(string Book, int Number, int Ordinal, string Text, CorpusSplit Split);
