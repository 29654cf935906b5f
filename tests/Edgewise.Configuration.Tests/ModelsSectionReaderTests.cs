namespace Edgewise.Configuration.Tests;

/// <summary>
/// The models section read on its own, as the hosting layer uses it. The keys and values of entries are covered through
/// the whole-file parser (Edgewise.Agents.Tests, ModelSectionTests); these tests cover what only this entry point does.
/// </summary>
public sealed class ModelsSectionReaderTests
{
    private const string ConfigFile = "/srv/edge/edgewise.yaml";

    private static ModelsSectionReader Read(string yaml)
    {
        var reader = new ModelsSectionReader(ConfigFile);
        foreach (var (key, value) in YamlNodeReader.Parse(yaml, ConfigFile).Mapping())
        {
            if (key == "models")
            {
                reader.Read(value);
            }
        }

        return reader;
    }

    [Fact]
    public void Complete_ModelsOnlyDocument_GivesEntriesInFileOrderAndResolvesPaths()
    {
        var section = Read("""
            models:
              small:
                path: models/small.gguf
              store:
                alias: qwen2.5-0.5b
              lab:
                url: http://127.0.0.1:8080/v1
                model: qwen2.5-7b
            """).Complete();

        Assert.Equal(ConfigFile, section.File);
        Assert.Equal(["small", "store", "lab"], section.Models.Keys);
        Assert.Equal(Path.GetFullPath("/srv/edge/models/small.gguf"), section.ResolveSource(section.Models["small"]));
        Assert.Equal("qwen2.5-0.5b", section.ResolveSource(section.Models["store"]));
        Assert.Equal("http://127.0.0.1:8080/v1", section.ResolveSource(section.Models["lab"]));
    }

    [Fact]
    public void Complete_NothingRead_GivesAnEmptySection()
    {
        var section = new ModelsSectionReader(ConfigFile).Complete();

        Assert.Empty(section.Models);
        Assert.Equal(Path.GetFullPath("/srv/edge"), section.BaseDirectory);
    }

    [Fact]
    public void Complete_FailoverToAnEntryFurtherDown_IsAccepted()
    {
        var reader = Read("""
            models:
              lab:
                url: http://127.0.0.1:8080/v1
                model: x
                failover: [far]
              far:
                url: http://127.0.0.1:8081/v1
                model: y
            """);

        var (node, model) = Assert.Single(reader.FailoverReferences);
        Assert.Equal("far", model);
        Assert.Equal(5, node.Line);
        Assert.Equal(["far"], reader.Complete().Models["lab"].Failover);
    }

    [Fact]
    public void Complete_FailoverToNoEntry_NamesTheListItemAndTheKnownModels()
    {
        var reader = Read("""
            models:
              lab:
                url: http://127.0.0.1:8080/v1
                model: x
                failover: [nowhere]
              small:
                path: small.gguf
            """);

        var e = Assert.Throws<ConfigException>(reader.Complete);

        Assert.Equal(ConfigFile + ":5:16: models.lab.failover[0]: unknown model 'nowhere'; known: lab, small", e.Message);
    }

    [Fact]
    public void Complete_FailoverToALocalEntry_IsRefused()
    {
        var reader = Read("""
            models:
              lab:
                url: http://127.0.0.1:8080/v1
                model: x
                failover: [small]
              small:
                path: small.gguf
            """);

        var e = Assert.Throws<ConfigException>(reader.Complete);

        Assert.Equal("models.lab.failover[0]", e.KeyPath);
        Assert.Contains("'small' is a local model", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("models: [a, b]\n", "models", "expected a mapping")]
    [InlineData("models:\n  bad name:\n    alias: x\n", "models.bad name", "names are 1-64 characters")]
    [InlineData("models:\n  m:\n    alias: x\n    pin: 1\n", "models.m.pin", "expected true or false")]
    public void Read_BadSection_NamesTheKey(string yaml, string keyPath, string problem)
    {
        var e = Assert.Throws<ConfigException>(() => Read(yaml));

        Assert.Equal(keyPath, e.KeyPath);
        Assert.Contains(problem, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Check_EmptyNameOrNameOfSixtyFiveCharacters_IsRefused()
    {
        var root = YamlNodeReader.Parse("a: 1\n", ConfigFile);

        Assert.Equal(new string('m', 64), ConfigNames.Check(root, new string('m', 64)));
        Assert.Throws<ConfigException>(() => ConfigNames.Check(root, new string('m', 65)));
        Assert.Throws<ConfigException>(() => ConfigNames.Check(root, string.Empty));
    }

    [Fact]
    public void Known_NoNames_IsEmptyAndOtherwiseOrdinalOrder()
    {
        Assert.Equal(string.Empty, ConfigNames.Known([]));
        Assert.Equal("; known: B, a, b", ConfigNames.Known(["b", "a", "B"]));
    }
}
