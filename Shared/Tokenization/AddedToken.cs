namespace Distill.Shared.Tokenization;

/// <summary>One entry of a <c>tokenizer.json</c>'s <c>added_tokens</c>: a token matched whole in text before the model runs.</summary>
internal readonly record struct AddedToken(int Id, string Content, bool Special, bool SingleWord, bool LStrip, bool RStrip, bool Normalized);
