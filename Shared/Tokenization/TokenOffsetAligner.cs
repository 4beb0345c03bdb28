using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace Distill.Shared.Tokenization;

/// <summary>
/// Finds the characters each token of an encoding came from. The ids are Hugging Face's; this follows them through the
/// text: added tokens are found where they are written, and each run of model tokens between them is matched byte by
/// byte against its stretch of text after the normaliser (byte-level symbols and <c>&lt;0xNN&gt;</c> byte pieces read
/// back as bytes), allowing a prepended space or <c>▁</c> the text lacks and whitespace the tokens leave out.
/// </summary>
internal sealed class TokenOffsetAligner
{
    private const string Metaspace = "\u2581";
    private static readonly Dictionary<char, byte> ByteOfSymbol = BuildByteOfSymbol();

    private readonly TokenizerDefinition _definition;
    private readonly Dictionary<int, AddedToken> _addedById;
    private readonly bool _byteLevel;
    private readonly bool _byteFallback;
    private readonly string? _metaspace;
    private readonly string _subwordPrefix;
    private readonly string _wordSuffix;
    private readonly int? _unkId;

    public TokenOffsetAligner(TokenizerDefinition definition)
    {
        _definition = definition;
        _addedById = definition.Added.GroupBy(t => t.Id).ToDictionary(g => g.Key, g => g.First());
        var model = definition.Part("model")!;
        var preTokenizer = definition.Root["pre_tokenizer"];
        _byteLevel = FindStep(preTokenizer, "ByteLevel") is not null;
        _metaspace = FindStep(preTokenizer, "Metaspace") is { } metaspace ? metaspace["replacement"]?.GetValue<string>() ?? Metaspace : null;
        _byteFallback = model["byte_fallback"] is JsonValue v && v.TryGetValue(out bool b) && b;
        _subwordPrefix = model["continuing_subword_prefix"] is JsonValue p && p.TryGetValue(out string? prefix) ? prefix : "";
        _wordSuffix = model["end_of_word_suffix"] is JsonValue s && s.TryGetValue(out string? suffix) ? suffix : "";
        _unkId = model["unk_token"] is JsonValue u && u.TryGetValue(out string? unk) && definition.IdByToken.TryGetValue(unk, out int id) ? id : null;
    }

    /// <exception cref="NotSupportedException">The normaliser is of a type whose alignment is not modelled.</exception>
    /// <exception cref="InvalidOperationException">The tokens do not spell the text (should not happen for Hugging Face's ids).</exception>
    public TokenSpan[] Align(string text, IReadOnlyList<int> ids)
    {
        var spans = new TokenSpan[ids.Count];
        int cursor = 0;
        int runStart = 0;
        for (int i = 0; i <= ids.Count; i++)
        {
            int found = -1, start = 0, end = 0;
            if (i < ids.Count && _addedById.TryGetValue(ids[i], out var added))
            {
                found = text.IndexOf(added.Content, cursor, StringComparison.Ordinal);
                if (found >= 0)
                {
                    start = found;
                    end = found + added.Content.Length;
                    if (added.LStrip) while (start > cursor && char.IsWhiteSpace(text[start - 1])) start--;
                    if (added.RStrip) while (end < text.Length && char.IsWhiteSpace(text[end])) end++;
                }
            }
            if (i < ids.Count && found < 0) continue;
            int stretchEnd = i < ids.Count ? start : text.Length;
            AlignRun(text, cursor, stretchEnd, ids, runStart, i, spans);
            if (i < ids.Count)
            {
                spans[i] = new TokenSpan(ids[i], start, end);
                cursor = end;
                runStart = i + 1;
            }
        }
        return spans;
    }

    private void AlignRun(string text, int start, int end, IReadOnlyList<int> ids, int first, int last, TokenSpan[] spans)
    {
        if (first == last) return;
        var units = TextUnits.Of(text, start, end);
        units.Normalize(_definition.Root["normalizer"]);
        if (_metaspace is not null) units.ReplaceText(" ", _metaspace);
        var (stream, unitOfByte) = Flatten(units.Units);
        var pieces = units.Units;

        int p = 0;
        for (int t = first; t < last; t++)
        {
            int lo = int.MaxValue, hi = -1;
            void Touch(int unit)
            {
                lo = Math.Min(lo, pieces[unit].Start);
                hi = Math.Max(hi, pieces[unit].End);
            }

            if (ids[t] == _unkId)
            {
                byte? nextByte = t + 1 < last ? TokenBytes(ids[t + 1]).FirstOrDefault() : null;
                while (p < stream.Length)
                {
                    int unit = unitOfByte[p];
                    Touch(unit);
                    while (p < stream.Length && unitOfByte[p] == unit) p++;
                    if (p < stream.Length && stream[p] == nextByte) break;
                }
            }
            else
            {
                byte[] bytes = TokenBytes(ids[t]);
                for (int k = 0; k < bytes.Length;)
                {
                    if (p < stream.Length && stream[p] == bytes[k])
                    {
                        Touch(unitOfByte[p]);
                        p++;
                        k++;
                    }
                    else if (InsertedMarkAt(bytes, k) is int inserted and > 0)
                    {
                        k += inserted;
                    }
                    else if (p < stream.Length && IsSpace(text, pieces[unitOfByte[p]]))
                    {
                        int unit = unitOfByte[p];
                        while (p < stream.Length && unitOfByte[p] == unit) p++;
                    }
                    else
                    {
                        int at = p < stream.Length ? pieces[unitOfByte[p]].Start : end;
                        throw new InvalidOperationException(
                            $"token {ids[t]} ('{_definition.TokenById.GetValueOrDefault(ids[t])}') does not spell the text at character {at}");
                    }
                }
            }
            int here = p < stream.Length ? pieces[unitOfByte[p]].Start : end;
            spans[t] = hi < 0 ? new TokenSpan(ids[t], here, here) : new TokenSpan(ids[t], lo, hi);
        }
    }

    /// <summary>The length of a space or <c>▁</c> at <paramref name="k"/> that the tokenizer prepended; 0 if none.</summary>
    private static int InsertedMarkAt(byte[] bytes, int k)
    {
        if (bytes[k] == (byte)' ') return 1;
        return k + 2 < bytes.Length && bytes[k] == 0xE2 && bytes[k + 1] == 0x96 && bytes[k + 2] == 0x81 ? 3 : 0;
    }

    private static bool IsSpace(string text, TextUnits.Unit unit) =>
        unit.End > unit.Start && text.AsSpan(unit.Start, unit.End - unit.Start).IsWhiteSpace();

    /// <summary>The bytes a token stands for in the normalised text.</summary>
    private byte[] TokenBytes(int id)
    {
        if (!_definition.TokenById.TryGetValue(id, out string? token))
            throw new InvalidOperationException($"id {id} is not in the vocabulary");
        if (_addedById.ContainsKey(id)) return Encoding.UTF8.GetBytes(token);
        if (_subwordPrefix.Length > 0 && token.Length > _subwordPrefix.Length && token.StartsWith(_subwordPrefix, StringComparison.Ordinal))
            token = token[_subwordPrefix.Length..];
        if (_wordSuffix.Length > 0 && token.Length > _wordSuffix.Length && token.EndsWith(_wordSuffix, StringComparison.Ordinal))
            token = token[..^_wordSuffix.Length];
        if (_byteFallback && token.Length == 6 && token.StartsWith("<0x", StringComparison.Ordinal) && token[5] == '>'
            && byte.TryParse(token.AsSpan(3, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out byte value))
            return [value];
        if (_byteLevel && token.All(ByteOfSymbol.ContainsKey)) return token.Select(c => ByteOfSymbol[c]).ToArray();
        return Encoding.UTF8.GetBytes(token);
    }

    private static (byte[] Stream, int[] UnitOfByte) Flatten(IReadOnlyList<TextUnits.Unit> units)
    {
        var stream = new List<byte>();
        var unitOfByte = new List<int>();
        for (int u = 0; u < units.Count; u++)
        {
            byte[] bytes = Encoding.UTF8.GetBytes(units[u].Text);
            stream.AddRange(bytes);
            for (int k = 0; k < bytes.Length; k++) unitOfByte.Add(u);
        }
        return (stream.ToArray(), unitOfByte.ToArray());
    }

    /// <summary>The first step of <paramref name="type"/> in a pre-tokenizer, looking inside Sequences.</summary>
    private static JsonObject? FindStep(JsonNode? node, string type)
    {
        if (node is not JsonObject step) return null;
        if (TextUnits.TypeOf(step) == type) return step;
        return (step["pretokenizers"] as JsonArray ?? []).Select(inner => FindStep(inner, type)).FirstOrDefault(s => s is not null);
    }

    private static Dictionary<char, byte> BuildByteOfSymbol()
    {
        var map = new Dictionary<char, byte>();
        for (int b = 0; b < 256; b++) map[ByteLevelAlphabet.Symbols[ByteLevelAlphabet.IdOf((byte)b)][0]] = (byte)b;
        return map;
    }
}
