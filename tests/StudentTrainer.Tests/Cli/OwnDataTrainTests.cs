using System.Text.Json;

namespace Distill.StudentTrainer.Tests.Cli;

/// <summary><c>train</c> on data in the user's own layout: plain text without chapter headings, and its errors.</summary>
public sealed class OwnDataTrainTests(TrainCommandFixture fixture) : IClassFixture<TrainCommandFixture>
{
    private string NewFolder(string name) => Path.Combine(fixture.Root, name + "-" + Guid.NewGuid().ToString("N")[..6]);

    /// <summary>Two text files of seeded random words in lines, in nested folders, with no heading anywhere.</summary>
    private string PlainText()
    {
        string folder = NewFolder("plain");
        var random = new Random(11);
        string[] words = ["the", "lady", "said", "that", "she", "would", "walk", "to", "town", "and", "dine", "with", "them"];
        foreach (string file in new[] { "a/notes.txt", "b.txt" })
        {
            string path = Path.Combine(folder, file);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllLines(path, Enumerable.Range(0, 300).Select(_ => string.Join(' ', Enumerable.Range(0, 10).Select(_ => words[random.Next(words.Length)]))));
        }
        return folder;
    }

    [Fact]
    public void A_folder_of_plain_text_without_headings_trains()
    {
        string run = NewFolder("run");
        string cache = NewFolder("cache");
        var train = TrainerProcess.Run(fixture.TrainArguments(run, "--data", PlainText(), "--token-cache", cache, "--no-baseline",
            "--steps", "4", "--eval-interval", "4", "--checkpoint-interval", "4"));

        Assert.True(train.ExitCode == 0, train.Stderr + train.Stdout);
        using JsonDocument summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "summary.json")));
        Assert.Equal(4, summary.RootElement.GetProperty("distilled").GetProperty("steps").GetInt32());
        string entry = Assert.Single(Directory.GetDirectories(cache));
        foreach (string split in new[] { "train", "validation", "test" })
            Assert.True(new FileInfo(Path.Combine(entry, split + ".tokens")).Length > 100, split);
    }

    [Fact]
    public void Bad_data_and_fractions_are_one_line_errors()
    {
        string data = NewFolder("bad");
        Directory.CreateDirectory(data);
        string file = Path.Combine(data, "docs.jsonl");
        File.WriteAllText(file, "{\"text\": \"fine\"}\n{\"body\": \"no text\"}\n");

        string line = TrainerProcess.AssertOneLineError(TrainerProcess.Run(fixture.TrainArguments(NewFolder("run"), "--data", data, "--token-cache", NewFolder("cache"))));
        Assert.Equal($"error: {file}, line 2: missing field 'text'", line);

        line = TrainerProcess.AssertOneLineError(TrainerProcess.Run(fixture.TrainArguments(NewFolder("run"), "--validation-fraction", "0.96")));
        Assert.Contains("--validation-fraction + --test-fraction must be below 1", line);
    }
}
