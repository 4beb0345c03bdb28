using Distill.Shared.Tokenization;

namespace Distill.Shared.Tests.Tokenization;

/// <summary>A vocab-4096 tokenizer trained once on the whole Austen corpus, written to and loaded from a temp folder.</summary>
public sealed class AustenTokenizerFixture : IDisposable
{
    public AustenTokenizerFixture()
    {
        Texts = TestPaths.AustenTexts();
        Vocabulary = ByteLevelBpeTrainer.Train(Texts, new ByteLevelBpeTrainerOptions(4096));
        Folder = TestPaths.NewTempFolder();
        TokenizerFiles.Write(Folder, Vocabulary);
        Loaded = TokenizerLoader.Load(Folder);
    }

    public IReadOnlyList<string> Texts { get; }
    public BpeVocabulary Vocabulary { get; }
    public string Folder { get; }
    public LoadedTokenizer Loaded { get; }

    public void Dispose() => Directory.Delete(Folder, recursive: true);
}
