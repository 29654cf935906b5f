using Edgewise.Tokenization.Templates;

namespace Edgewise.Tokenization.Tests.Templates;

/// <summary>Every reference template × every fixture, compared with what @huggingface/jinja rendered.</summary>
public sealed class ChatTemplateGoldenTests
{
    public static TheoryData<string, string> Cases()
    {
        var data = new TheoryData<string, string>();
        foreach (var stem in GoldenFiles.TemplateStems())
        {
            if (stem == Edgewise.Testing.SharedPaths.Missing)
            {
                data.Add(stem, stem);
                continue;
            }

            var folder = Path.Combine(GoldenFiles.Directory, stem);
            foreach (var file in Directory.GetFiles(folder, "*.txt").Order(StringComparer.Ordinal))
            {
                data.Add(stem, Path.GetFileName(file));
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Render_ReferenceTemplate_MatchesHuggingFaceJinja(string template, string goldenFile)
    {
        var parsed = ChatTemplate.Parse(File.ReadAllText(GoldenFiles.TemplatePath(template)));
        var isError = goldenFile.EndsWith(".error.txt", StringComparison.Ordinal);
        var fixture = goldenFile[..^(isError ? ".error.txt".Length : ".txt".Length)];
        var context = GoldenFiles.Fixture(fixture);

        if (isError)
        {
            Assert.Throws<TemplateException>(() => parsed.Render(context));
            return;
        }

        var expected = File.ReadAllText(Path.Combine(GoldenFiles.Directory, template, goldenFile));
        Assert.Equal(expected, parsed.Render(context));
    }

    [Fact]
    public void Render_EveryReferenceTemplate_HasSuccessfulGoldenRenders()
    {
        Edgewise.Testing.SharedPaths.Require();
        var stems = GoldenFiles.TemplateStems().ToList();
        Assert.True(stems.Count >= 10, "expected the ten reference templates");
        foreach (var stem in stems)
        {
            var successes = Directory.GetFiles(Path.Combine(GoldenFiles.Directory, stem), "*.txt")
                .Count(f => !f.EndsWith(".error.txt", StringComparison.Ordinal));
            Assert.True(successes >= 3, $"{stem} has only {successes} successful golden renders");
        }
    }

    [Fact]
    public void Render_EveryReferenceTemplate_Parses()
    {
        foreach (var stem in GoldenFiles.TemplateStems())
        {
            var template = ChatTemplate.Parse(File.ReadAllText(GoldenFiles.TemplatePath(stem)));
            Assert.NotNull(template);
        }
    }
}
