namespace Distill.StudentTrainer.Tests.Cli;

/// <summary>Two tiny books of seeded random words in the corpus layout (chapters split train / validation / test).</summary>
internal static class TinyCorpus
{
    /// <returns>The folder written.</returns>
    public static string Write(string folder, int chaptersPerBook)
    {
        Directory.CreateDirectory(folder);
        var random = new Random(5);
        string[] words = ["the", "lady", "said", "that", "she", "would", "walk", "to", "town", "and", "dine", "with", "them"];
        for (int book = 0; book < 2; book++)
        {
            var text = new System.Text.StringBuilder("A TINY BOOK\n\n");
            for (int chapter = 1; chapter <= chaptersPerBook; chapter++)
            {
                text.Append($"CHAPTER {chapter}\n\n");
                for (int w = 0; w < 300; w++) text.Append(words[random.Next(words.Length)]).Append(w % 12 == 11 ? ".\n" : " ");
                text.Append("\n\n");
            }
            File.WriteAllText(Path.Combine(folder, $"book{book}.txt"), text.ToString());
        }
        return folder;
    }
}
