using System.Text.RegularExpressions;

namespace Distill.Shared.Tokenization;

/// <summary>The GPT-2 pre-tokenisation regex, shared by the trainer and the loaded tokenizers.</summary>
public static partial class Gpt2Pattern
{
    /// <summary>The pattern text, as published with GPT-2.</summary>
    public const string Text = @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";

    /// <summary>The compiled pattern.</summary>
    [GeneratedRegex(Text)]
    public static partial Regex Regex();
}
