namespace Distill.Shared.Tokenization;

/// <summary>
/// GPT-2's reversible map from the 256 byte values to printable Unicode symbols: printable Latin-1
/// bytes stand for themselves, the other 68 bytes (controls, space, …) are shifted to U+0100 and up,
/// so a space becomes 'Ġ' and a newline 'Ċ'. The base ids follow GPT-2's order (id 0 is '!').
/// </summary>
public static class ByteLevelAlphabet
{
    /// <summary>Number of base symbols, one per byte value.</summary>
    public const int Size = 256;

    private static readonly string[] SymbolById;
    private static readonly int[] IdByByte;

    static ByteLevelAlphabet()
    {
        var bytes = new List<int>(Size);
        bytes.AddRange(Enumerable.Range('!', '~' - '!' + 1));
        bytes.AddRange(Enumerable.Range('¡', '¬' - '¡' + 1));
        bytes.AddRange(Enumerable.Range('®', 'ÿ' - '®' + 1));
        var chars = bytes.Select(b => (char)b).ToList();
        int shifted = 0;
        for (int b = 0; b < Size; b++)
        {
            if (bytes.Contains(b)) continue;
            bytes.Add(b);
            chars.Add((char)(Size + shifted++));
        }

        SymbolById = chars.Select(c => c.ToString()).ToArray();
        IdByByte = new int[Size];
        for (int id = 0; id < Size; id++) IdByByte[bytes[id]] = id;
    }

    /// <summary>The 256 one-character symbols, indexed by base id.</summary>
    public static IReadOnlyList<string> Symbols => SymbolById;

    /// <summary>The base id of a byte value.</summary>
    public static int IdOf(byte value) => IdByByte[value];
}
