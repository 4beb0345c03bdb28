namespace Distill.Shared.Tokenization;

/// <summary>
/// Describes the tokenizer of a model folder of any family, never refusing it: <c>tokenizer.json</c>, else
/// <c>vocab.json</c> + <c>merges.txt</c>, else <c>tokenizer.model</c> (SentencePiece, or a tiktoken rank file), else one
/// <c>*.tiktoken</c> file. Formats Microsoft.ML.Tokenizers reads (SentencePiece models, tiktoken files) are read by it.
/// Files that cannot be read make the kind <see cref="TokenizerKinds.Unknown"/>, with the reason in
/// <see cref="TokenizerDescription.Problem"/>.
/// </summary>
public static class TokenizerInspector
{
    public const string TokenizerJsonFile = TokenizerDefinition.FileName;
    public const string ModelFile = "tokenizer.model";

    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    public static TokenizerDescription Describe(string folder)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(folder);
        if (!Directory.Exists(folder))
            throw new DirectoryNotFoundException($"tokenizer folder '{folder}' does not exist");
        try
        {
            return DescribeFiles(folder);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return new TokenizerDescription(TokenizerKinds.Unknown, null, null, e.Message);
        }
    }

    private static TokenizerDescription DescribeFiles(string folder)
    {
        string json = Path.Combine(folder, TokenizerJsonFile);
        if (File.Exists(json)) return TokenizerJsonInspector.Describe(folder, json);
        string vocab = Path.Combine(folder, TokenizerFiles.VocabFile);
        if (File.Exists(vocab) || File.Exists(Path.Combine(folder, TokenizerFiles.MergesFile)))
        {
            try
            {
                return ByteLevel(folder);
            }
            catch (Exception e) when (e is InvalidDataException or FileNotFoundException)
            {
                var pairs = File.Exists(vocab) ? TokenizerFiles.ReadVocab(vocab).ToList() : null;
                return TokenizerJsonInspector.Of(TokenizerKinds.Unknown, pairs, e.Message);
            }
        }
        string model = Path.Combine(folder, ModelFile);
        if (File.Exists(model))
            return TiktokenFile.LooksLikeOne(model) ? TiktokenFile.Describe(model) : SentencePieceModelFile.Describe(model);
        string[] tiktoken = Directory.GetFiles(folder, "*" + TiktokenFile.Extension);
        return tiktoken.Length switch
        {
            0 => TokenizerDescription.None,
            1 => TiktokenFile.Describe(tiktoken[0]),
            _ => new TokenizerDescription(TokenizerKinds.Unknown, null, null, $"the folder holds {tiktoken.Length} {TiktokenFile.Extension} files"),
        };
    }

    /// <summary>A byte-level BPE read as <see cref="TokenizerLoader.Load"/> reads it, so the fingerprints agree.</summary>
    /// <exception cref="InvalidDataException">The files are malformed or inconsistent.</exception>
    internal static TokenizerDescription ByteLevel(string folder) =>
        Of(folder, TokenizerDefinition.FromByteLevel(TokenizerLoader.ReadByteLevel(folder), folder));

    /// <summary>
    /// The description <see cref="TokenizerLoader.Load"/> agrees with: its kind, fingerprint and eos id. A document
    /// Hugging Face's library refuses is of kind unknown, with the library's reason.
    /// </summary>
    internal static TokenizerDescription Of(string folder, TokenizerDefinition definition)
    {
        string fingerprint = TokenizerFingerprint.Of(definition);
        try
        {
            HuggingFaceTokenizer.Check(definition);
        }
        catch (InvalidDataException e)
        {
            return new TokenizerDescription(TokenizerKinds.Unknown, fingerprint, null, e.Message);
        }
        try
        {
            return new TokenizerDescription(definition.Kind, fingerprint, EndTokens.EosId(folder, definition));
        }
        catch (InvalidDataException e)
        {
            return new TokenizerDescription(definition.Kind, fingerprint, null, e.Message);
        }
    }
}
