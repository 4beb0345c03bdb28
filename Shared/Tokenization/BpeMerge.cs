namespace Distill.Shared.Tokenization;

/// <summary>One BPE merge rule: adjacent <paramref name="Left"/> and <paramref name="Right"/> become their concatenation.</summary>
public readonly record struct BpeMerge(string Left, string Right)
{
    /// <summary>The token the merge produces.</summary>
    public string Result => Left + Right;

    /// <summary>The <c>merges.txt</c> line form, <c>"left right"</c>.</summary>
    public override string ToString() => $"{Left} {Right}";
}
