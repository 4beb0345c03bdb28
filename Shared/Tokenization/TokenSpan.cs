namespace Distill.Shared.Tokenization;

/// <summary>A token id and the characters of the original text it came from, <c>[Start, End)</c>.</summary>
/// <remarks>
/// Tokens that share a character (byte-level pieces of one character) both cover it; a token the tokenizer inserted
/// (a prepended <c>▁</c>) has an empty span where it was inserted.
/// </remarks>
public readonly record struct TokenSpan(int Id, int Start, int End);
